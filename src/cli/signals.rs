//! Ctrl-C, SIGTERM and SIGHUP for the commands that must stop cleanly.

/// Calls `on` for every SIGINT, SIGTERM or SIGHUP warden receives, with the
/// exit status a shell expects for it (130, 143, 129) and how many signals
/// came before it, on a thread of its own.
pub(super) fn on_signals(mut on: impl FnMut(u8, usize) + Send + 'static) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                return;
            };
            for before in 0.. {
                let code = tokio::select! {
                    _ = int.recv() => 130,
                    _ = term.recv() => 143,
                    _ = hup.recv() => 129,
                };
                on(code, before);
            }
        });
    });
}
