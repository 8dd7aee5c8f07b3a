//! A stream adapter that records every byte read from and written to a
//! connection: the exact HTTP request and response for the WARC.
//!
//! Response bytes go to a [`Spool`] (memory, then a file past its limit)
//! and into the WARC digester as they arrive, so memory use does not grow
//! with the page size.

use super::spool::Spool;
use crate::warc::digest::HttpDigester;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const MAX_REQUEST_RECORD: usize = 1 << 20;

/// Where the recorded bytes go.
pub(crate) struct TeeSink {
    pub request: Vec<u8>,
    pub raw: Spool,
    pub raw_len: u64,
    pub digester: HttpDigester,
    pub first_byte_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The first error writing the record file; reported by the fetcher.
    pub write_error: Option<std::io::Error>,
}

impl TeeSink {
    pub(crate) fn new(raw: Spool) -> Self {
        TeeSink {
            request: Vec::new(),
            raw,
            raw_len: 0,
            digester: HttpDigester::new(),
            first_byte_at: None,
            write_error: None,
        }
    }

    fn record_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.first_byte_at.is_none() {
            self.first_byte_at = Some(chrono::Utc::now());
        }
        self.raw_len += bytes.len() as u64;
        self.digester.update(bytes);
        if self.write_error.is_none()
            && let Err(e) = self.raw.write_all(bytes)
        {
            self.write_error = Some(e);
        }
    }
}

pub(crate) type SharedSink = Arc<Mutex<TeeSink>>;

/// The recording stream.
pub(crate) struct Tee<S> {
    inner: S,
    sink: SharedSink,
}

impl<S> Tee<S> {
    pub(crate) fn new(inner: S, sink: SharedSink) -> Self {
        Tee { inner, sink }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tee<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                let mut sink = this.sink.lock().expect("tee lock");
                sink.record_read(new);
                if sink.write_error.is_some() {
                    return Poll::Ready(Err(std::io::Error::other(
                        "cannot write the response record to disk",
                    )));
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tee<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                let mut sink = this.sink.lock().expect("tee lock");
                if sink.request.len() + n <= MAX_REQUEST_RECORD {
                    sink.request.extend_from_slice(&buf[..n]);
                }
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
