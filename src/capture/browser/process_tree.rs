//! Killing a browser with every process it started. Chromium runs its
//! pages, GPU and zygote in child processes; killing only the one warden
//! started leaves them to notice on their own, which a busy or starved
//! renderer may take many seconds to do, and once their parent is gone
//! they can no longer be told apart from other processes. So the whole
//! tree is frozen first (stopped processes cannot start new ones), then
//! killed.

use rustix::process::{Pid, Signal, kill_process};

/// Most rounds of looking for processes the tree started while it was being
/// stopped.
const MAX_ROUNDS: usize = 20;

/// Stops `root` and every process descending from it, then kills them all.
/// Processes that are already gone are skipped; nothing else is touched.
pub(crate) fn kill_tree(root: u32) {
    let Some(root_pid) = pid(root) else {
        return;
    };
    if kill_process(root_pid, Signal::STOP).is_err() {
        // Already gone (or not ours): nothing of it to find.
        return;
    }
    let mut tree = vec![root];
    for _ in 0..MAX_ROUNDS {
        let found = descendants(root);
        let new: Vec<u32> = found.into_iter().filter(|p| !tree.contains(p)).collect();
        if new.is_empty() {
            break;
        }
        for p in &new {
            if let Some(p) = pid(*p) {
                let _ = kill_process(p, Signal::STOP);
            }
        }
        tree.extend(new);
    }
    for p in tree.iter().rev() {
        if let Some(p) = pid(*p) {
            let _ = kill_process(p, Signal::KILL);
        }
    }
}

fn pid(raw: u32) -> Option<Pid> {
    i32::try_from(raw).ok().and_then(Pid::from_raw)
}

/// The processes descending from `root` (children, grandchildren…), read
/// from /proc; empty where /proc cannot be read.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut parent_of = Vec::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
            && let Some(ppid) = parent_in_stat(&stat)
        {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        for (child, _) in parent_of.iter().filter(|(_, pp)| *pp == p) {
            if !found.contains(child) {
                found.push(*child);
            }
        }
        i += 1;
    }
    found.remove(0);
    found
}

/// The parent process id in a `/proc/PID/stat` line: "pid (comm) state
/// ppid …", where comm may hold spaces and parentheses.
fn parent_in_stat(stat: &str) -> Option<u32> {
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::time::{Duration, Instant};

    #[test]
    fn parent_is_read_after_a_command_name_with_parentheses_and_spaces() {
        assert_eq!(parent_in_stat("42 (a (b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_in_stat("42 (x) S"), None);
    }

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .and_then(|(_, r)| r.split_whitespace().next().map(str::to_string))
            })
            .is_some_and(|state| state != "Z" && state != "X")
    }

    #[test]
    fn the_whole_tree_dies_including_grandchildren_that_ignore_their_parents_death() {
        // A shell whose child and grandchild would outlive it by minutes.
        let mut root = Command::new("sh")
            .args(["-c", "sh -c 'sleep 300 & sleep 300' & sleep 300"])
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(10);
        let family = loop {
            let d = descendants(root.id());
            if d.len() >= 4 {
                break d;
            }
            assert!(Instant::now() < until, "the tree did not start: {d:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        kill_tree(root.id());
        root.wait().unwrap();
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let left: Vec<u32> = family.iter().copied().filter(|p| alive(*p)).collect();
            if left.is_empty() {
                break;
            }
            assert!(Instant::now() < until, "still running: {left:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
