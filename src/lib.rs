//! warden: evidence capture, species sweeps and chain-of-custody reports for
//! officers who investigate wildlife cybercrime.
//!
//! Data flows one way: [`capture`] fetches a page (reading it with [`http`]),
//! [`warc`] records the raw exchange, [`bundle`] seals it as a signed BagIt
//! bag, [`custody`] appends the action to the case's hash-chained log
//! ([`case`] is the folder holding both), and [`verify`] re-checks all of it;
//! [`recovery`] finishes or sets aside what an interrupted capture left.
//! [`species`], [`matcher`] and [`sweep`] search listings with keyword lists.
//! Leaf modules used by the others: [`keys`] (officer keys), [`text`]
//! (charsets, visible text), [`hash`] and [`fsutil`] (durable, bounded file
//! access).
//!
//! The library reads no environment variable, draws nothing on the
//! terminal and never sees the command line: the front end in `src/cli/`
//! parses flags into the plain option structs each module takes (for
//! example [`verify::VerifyOptions`], [`capture::CaptureOptions`]), passes
//! in what comes from the environment (the witness folder, the key file)
//! and draws progress from the callbacks [`capture::run`] and
//! [`verify::verify`] call.

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
pub mod text;
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
