//! warden: evidence capture, species sweeps and chain-of-custody reports for
//! officers who investigate wildlife cybercrime.
//!
//! Data flows one way: [`capture`] fetches a page, [`warc`] records the raw
//! exchange, [`bundle`] seals it as a signed BagIt bag, [`custody`] appends the
//! action to the case's hash-chained log, and [`verify`] re-checks all of it.
//! The command-line front end lives in `src/cli/` and only ever hands plain
//! option structs to this library.

pub mod bundle;
pub mod capture;
pub mod case;
pub mod custody;
pub mod fsutil;
pub mod hash;
pub mod http;
pub mod keys;
pub mod matcher;
pub mod recovery;
pub mod species;
pub mod sweep;
pub mod verify;
pub mod warc;

/// warden's version, as recorded in every bundle and custody event.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Current UTC time formatted as RFC 3339 with millisecond precision and `Z`.
pub fn now_rfc3339() -> String {
    format_time(chrono::Utc::now())
}

/// Formats a UTC time as RFC 3339 with millisecond precision and `Z`.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
