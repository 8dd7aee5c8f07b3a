//! The command line as custody events record it.

/// Most bytes of arguments one event records; the rest is summarised.
const MAX_BYTES: usize = 4096;

/// This process's command line, for a custody event: every argument as
/// typed, except that
/// - an argument that is not valid Unicode has its bad bytes shown as U+FFFD
///   (�);
/// - a password in a URL (`http://user:secret@proxy/`) is replaced by `***`,
///   so it never reaches the custody log or a report;
/// - past 4 KiB, the remaining arguments are counted, not recorded (a capture
///   of many URLs typed on the command line records them in every event).
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
        let arg = without_password(&arg);
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

/// `arg` with the password of any URL in it replaced by `***`.
fn without_password(arg: &str) -> String {
    let Some(scheme_end) = arg.find("://") else {
        return arg.to_string();
    };
    let rest = &arg[scheme_end + 3..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return arg.to_string();
    };
    let Some(colon) = authority[..at].find(':') else {
        return arg.to_string();
    };
    let start = scheme_end + 3 + colon + 1;
    let end = scheme_end + 3 + at;
    format!("{}***{}", &arg[..start], &arg[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden_and_the_rest_kept() {
        assert_eq!(
            without_password("--proxy=http://officer:s3cr:et@10.0.0.1:3128/x"),
            "--proxy=http://officer:***@10.0.0.1:3128/x"
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
