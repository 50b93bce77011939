//! The `alert` action's webhook: a small HTTP/1.1 client over tokio's `TcpStream` for `http://`
//! URLs (no TLS: an `https://` URL is refused when the server starts). A POST of a JSON event is
//! tried up to four times — the first try and three retries after 0.5 s, 1 s and 2 s — when the
//! connection fails, the attempt times out, or the receiver answers 5xx; a 2xx is delivered, any
//! other status fails at once.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An `http://host[:port][/path]` URL, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Parses a webhook URL: `https://` and anything that is not `http://` is refused with why.
pub fn parse(url: &str) -> Result<Url, String> {
    let url = url.trim();
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(if url.starts_with("https://") {
            format!("`{url}`: webhooks are sent over plain http:// only (no TLS); use an http:// relay")
        } else {
            format!("`{url}` is not an http:// URL")
        });
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h.to_string(), p.parse::<u16>().map_err(|_| format!("`{url}` has a bad port"))?)
        }
        _ => (authority.to_string(), 80),
    };
    if host.is_empty() {
        return Err(format!("`{url}` names no host"));
    }
    Ok(Url { host, port, path })
}

/// How a delivery is retried.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    pub retries: u32,
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { retries: 3, first_backoff: Duration::from_millis(500), timeout: Duration::from_secs(5) }
    }
}

/// POSTs `body` (JSON) to `url` with retries: the final status, or why it failed.
pub async fn post(url: &Url, body: &str, retry: Retry) -> Result<u16, String> {
    let mut last = String::new();
    for attempt in 0..=retry.retries {
        if attempt > 0 {
            tokio::time::sleep(retry.first_backoff * 2u32.pow(attempt - 1)).await;
        }
        match tokio::time::timeout(retry.timeout, once(url, body)).await {
            Ok(Ok(status)) if (200..300).contains(&status) => return Ok(status),
            Ok(Ok(status)) if status >= 500 => last = format!("the webhook answered {status}"),
            Ok(Ok(status)) => return Err(format!("the webhook answered {status}")),
            Ok(Err(e)) => last = format!("the webhook cannot be reached: {e}"),
            Err(_) => last = format!("no answer within {} ms", retry.timeout.as_millis()),
        }
    }
    Err(format!("{last} (after {} tries)", retry.retries + 1))
}

async fn once(url: &Url, body: &str) -> std::io::Result<u16> {
    let host = url.host.trim_start_matches('[').trim_end_matches(']');
    let mut stream = tokio::net::TcpStream::connect((host, url.port)).await?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\nUser-Agent: mlpc-serve\r\n\r\n{body}",
        url.path,
        url.host,
        url.port,
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    // The status line is all that is read.
    let mut head = Vec::with_capacity(64);
    let mut byte = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&byte[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok());
    status.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP reply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse("http://127.0.0.1:9000/hook").unwrap(),
            Url { host: "127.0.0.1".into(), port: 9000, path: "/hook".into() }
        );
        assert_eq!(parse("http://example").unwrap(), Url { host: "example".into(), port: 80, path: "/".into() });
        assert!(parse("https://x/y").unwrap_err().contains("no TLS"));
        assert!(parse("ftp://x").is_err());
    }
}
