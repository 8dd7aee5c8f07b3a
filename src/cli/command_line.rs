//! The command line as custody events record it.

/// Most bytes of arguments one event records; the rest are counted.
const MAX_BYTES: usize = 4096;
/// Most bytes of one argument recorded; the rest of it is counted.
const MAX_ARG_BYTES: usize = 1024;
/// What replaces a password in a URL, as in capture records.
const REDACTED: &str = "REDACTED";

/// This process's command line, for a custody event: every argument as
/// typed, except that
/// - an argument that is not valid Unicode has its bad bytes shown as U+FFFD
///   (�);
/// - a password in a URL (`http://user:secret@proxy/`) is replaced by
///   `REDACTED`, as capture records do, so it never reaches the custody log
///   or a report;
/// - an argument longer than 1 KiB is cut, with the number of bytes left
///   out, and past 4 KiB in all the remaining arguments are counted, not
///   recorded (a capture of many URLs typed on the command line records them
///   in every event).
pub fn command_line() -> Vec<String> {
    recorded(
        std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    )
}

fn recorded(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut used = 0;
    let total = args.len();
    for (i, arg) in args.into_iter().enumerate() {
        let arg = cut(without_password(&arg));
        if used + arg.len() > MAX_BYTES {
            out.push(format!(
                "[{} more argument(s) not recorded: the command line is longer than {MAX_BYTES} bytes]",
                total - i
            ));
            break;
        }
        used += arg.len();
        out.push(arg);
    }
    out
}

/// `arg`, cut at a character boundary after at most 1 KiB.
fn cut(arg: String) -> String {
    if arg.len() <= MAX_ARG_BYTES {
        return arg;
    }
    let end = arg.floor_char_boundary(MAX_ARG_BYTES);
    format!(
        "{}[... {} more bytes of this argument not recorded]",
        &arg[..end],
        arg.len() - end
    )
}

/// `arg` with the password of every URL in it replaced by `REDACTED`.
fn without_password(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(scheme_end) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme_end + 3);
        out.push_str(head);
        let authority_len = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..authority_len];
        match authority
            .rfind('@')
            .and_then(|at| authority[..at].find(':').map(|colon| (colon, at)))
        {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden_and_the_rest_kept() {
        assert_eq!(
            without_password("--proxy=http://officer:s3cr:et@10.0.0.1:3128/x"),
            "--proxy=http://officer:REDACTED@10.0.0.1:3128/x"
        );
        assert_eq!(
            without_password("ftp://a.example and http://u:pw@h.example/ then https://v:pw2@i"),
            "ftp://a.example and http://u:REDACTED@h.example/ then https://v:REDACTED@i"
        );
        assert_eq!(
            without_password("http://user@host/a:b@c"),
            "http://user@host/a:b@c"
        );
        assert_eq!(
            without_password("https://shop.example/item?id=1"),
            "https://shop.example/item?id=1"
        );
        assert_eq!(without_password("--note=a:b@c"), "--note=a:b@c");
        assert_eq!(
            without_password("象牙 http://é:ü@x/"),
            "象牙 http://é:REDACTED@x/"
        );
    }

    #[test]
    fn a_long_argument_is_cut_at_a_character_and_the_rest_kept() {
        let long = "象".repeat(1000); // 3,000 bytes
        let out = recorded(vec!["warden".into(), "--note".into(), long, "after".into()]);
        assert_eq!(out.len(), 4, "{out:?}");
        assert!(out[2].starts_with("象象"));
        assert!(
            out[2].ends_with("more bytes of this argument not recorded]"),
            "{}",
            out[2]
        );
        assert!(out[2].len() < MAX_ARG_BYTES + 80);
        assert_eq!(out[3], "after");
    }

    #[test]
    fn a_long_command_line_is_cut_with_a_count() {
        let mut args = vec!["warden".to_string(), "capture".to_string()];
        args.extend((0..1000).map(|i| format!("https://shop.example/item/{i}")));
        let out = recorded(args);
        assert!(out.iter().map(String::len).sum::<usize>() < MAX_BYTES + 200);
        assert_eq!(out[0], "warden");
        let last = out.last().unwrap();
        let kept = out.len() - 1;
        assert!(
            last.starts_with(&format!("[{} more argument(s) not recorded", 1002 - kept)),
            "{last}"
        );
    }
}
