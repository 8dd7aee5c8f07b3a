//! warden: evidence capture, species sweeps and chain-of-custody reports for
//! officers who investigate wildlife cybercrime.
//!
//! Data flows one way: [`capture`] fetches a page (reading it with the
//! internal `http` module), [`warc`] records the raw exchange, the internal
//! `bundle` module seals it as a signed BagIt bag, [`custody`] appends the
//! action to the case's hash-chained log ([`case`] is the folder holding
//! both), and [`verify`] re-checks all of it; [`recovery`] finishes or sets
//! aside what an interrupted capture left. [`species`], [`matcher`] and
//! [`sweep`] search listings with keyword lists. Leaf modules: [`keys`]
//! (officer keys), [`hash`], [`fsutil`] (durable, bounded file access) and
//! the internal `text` (charsets, visible text).
//!
//! The public API is what the `warden` command and the benchmarks use;
//! everything else is `pub(crate)`:
//!
//! - cases and keys: [`case::Case`], [`keys::OfficerKey`];
//! - capture: [`capture::run`] with [`capture::CaptureOptions`], and the
//!   checks of what the officer types ([`capture::parse_url`],
//!   [`capture::read_url_file`], [`capture::roots_with_ca_files`]);
//! - verification: [`verify::verify`] with [`verify::VerifyOptions`],
//!   giving a [`verify::Report`];
//! - custody: [`recovery::recover`], [`custody::check_appendable`],
//!   [`custody::witness`] (the log heads this computer recorded), the
//!   record-keeping events ([`case::Case::record`] with [`case::Act`],
//!   [`case::Case::checkpoint`]) and the record as people read it
//!   ([`case::Case::custody_record`], [`custody::timeline`]);
//! - sweeps: [`species::load`], [`species::import_speciesplus`],
//!   [`sweep::run`], [`sweep::record_in_case`], and for the benchmarks
//!   [`matcher::Matcher`], [`matcher::normalize`], [`matcher::score`];
//! - output files written durably ([`fsutil::create_new`],
//!   [`fsutil::rename_noreplace`], [`hash::HashingWriter`]), and for the
//!   benchmarks [`warc::WarcWriter`], [`warc::HttpDigester`] and
//!   [`hash::digest_file`];
//! - exports: [`export::wacz::write`] with [`export::wacz::WaczOptions`]
//!   (a WACZ file of verified bundles, for ReplayWeb.page and pywb).
//!
//! Internal: `http` (the one HTTP/1 response reader capture, verify and
//! sweep share), `bundle` (BagIt layout, signatures, RFC 3161 time-stamps
//! and their trust), `text`, the WARC reader, and the parts of capture
//! (fetching, TLS, network policy, writing the payload) and of verify (each
//! check) behind the functions above.
//!
//! The library reads no environment variable, draws nothing on the
//! terminal and never sees the command line: the front end in `src/cli/`
//! parses flags into the plain option structs each module takes (for
//! example [`verify::VerifyOptions`], [`capture::CaptureOptions`]), passes
//! in what comes from the environment (the witness folder, the key file)
//! and draws progress from the callbacks [`capture::run`] and
//! [`verify::verify`] call.

#![warn(unreachable_pub)]

pub(crate) mod browser_profile;
pub(crate) mod bundle;
pub mod capture;
pub mod case;
pub mod custody;
pub mod export;
pub mod fsutil;
pub mod hash;
pub(crate) mod http;
pub mod keys;
pub mod matcher;
pub mod recovery;
pub mod report;
pub mod species;
pub mod sweep;
pub mod targets;
pub(crate) mod text;
pub mod verify;
pub mod warc;

/// warden's version, as recorded in every bundle and custody event.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Current UTC time formatted as RFC 3339 with millisecond precision and `Z`.
pub(crate) fn now_rfc3339() -> String {
    format_time(chrono::Utc::now())
}

/// Formats a UTC time as RFC 3339 with millisecond precision and `Z`.
pub(crate) fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
