//! Errors the HTTP/1 dispatcher answers before any handler runs, as problem+json.
//!
//! actix-http answers a request head it cannot parse (raw bytes that are not ASCII in the
//! target, a target over 65,534 bytes, malformed headers) with a bare 400, a head over its
//! 128 KiB buffer with a bare 431, and a head that never arrives with a bare 408: status
//! lines with no body and no hook to change them. So the connection's stream is wrapped:
//! when the dispatcher writes one of those bare responses (status 400/408/431/500 with only
//! `content-length: 0`, `connection` and `date`, as a whole write, which no response of the
//! application looks like: every one of those carries a content type), the wrapper writes an
//! RFC 9457 problem in its place. The dispatcher closes the connection after such an error,
//! so nothing follows it on the wire.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_web::rt::net::TcpStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection's stream whose dispatcher-level error responses carry problem bodies.
pub struct ProblemStream {
    inner: TcpStream,
    /// A rewritten response not yet fully written, and how much of it is.
    pending: Vec<u8>,
    written: usize,
}

impl ProblemStream {
    pub fn new(inner: TcpStream) -> ProblemStream {
        ProblemStream {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }

    /// Writes out the rewritten response, if any, before anything else goes out.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ProblemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProblemStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(problem) = problem_response(buf) {
            // The dispatcher's bytes are taken; ours go out now or on its next flush.
            this.pending = problem;
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Why the dispatcher refused a request, for each status it answers on its own.
fn detail(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => {
            "the request line or a header could not be parsed as HTTP/1.1: for example bytes \
             that are not ASCII in the target (percent-encode them as UTF-8), a target longer \
             than 65,534 bytes, or a malformed header"
        }
        408 => "the request head did not arrive within 5 seconds",
        431 => {
            "the request line and headers together exceed 128 KiB; send long filters and \
             geometries in the body of POST /collections/{collectionId}/search"
        }
        500 => "the server could not handle the request",
        _ => return None,
    })
}

/// The problem+json response to write instead of `written`, when `written` is exactly one of
/// the dispatcher's bare error responses.
fn problem_response(written: &[u8]) -> Option<Vec<u8>> {
    // A bare head is about 120 bytes and a whole head: most writes fail these two byte
    // checks before any parsing (this runs on every write of every connection).
    if written.len() > 512 || !written.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(written)
        .ok()?
        .strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let (version, rest) = status_line.split_once(' ')?;
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return None;
    }
    let status: u16 = rest.get(..3)?.parse().ok()?;
    let detail = detail(status)?;
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" if value.trim() == "0" => {}
            "connection" => {}
            "date" => date = Some(value.trim()),
            // Any other header: an application response, left as it is.
            _ => return None,
        }
    }
    let title = rest.get(4..).unwrap_or("Error");
    let body = serde_json::json!({
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    })
    .to_string();
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\
         connection: close\r\n",
        body.len()
    );
    if let Some(date) = date {
        out.push_str(&format!("date: {date}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &[u8]) -> serde_json::Value {
        let text = std::str::from_utf8(response).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn bare_dispatcher_errors_become_problems() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: Sat, 05 Dec 2026 21:00:00 GMT\r\n\r\n";
        let out = problem_response(bare).expect("rewritten");
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(text.contains("\r\ncontent-type: application/problem+json\r\n"));
        assert!(text.contains("\r\ndate: Sat, 05 Dec 2026 21:00:00 GMT\r\n"));
        let body = body_of(&out);
        assert_eq!(body["status"], 431);
        assert_eq!(body["title"], "Request Header Fields Too Large");
        assert!(body["detail"].as_str().unwrap().contains("128 KiB"));
        let declared: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(declared, text.split_once("\r\n\r\n").unwrap().1.len());

        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(body_of(&problem_response(bare).unwrap())["status"], 400);
    }

    #[test]
    fn application_responses_are_left_alone() {
        for written in [
            // Ours always carry a content type.
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ncontent-type: application/problem+json\r\n\r\n"[..],
            // Not a status the dispatcher answers by itself.
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            // A head followed by a body, or part of a body.
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}",
            b"1a\r\nHTTP/1.1 400 Bad Request\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert!(problem_response(written).is_none(), "{written:?}");
        }
    }
}
