//! The HTTP front against hostile or broken clients: bodies that are never authenticated,
//! bodies over the limit. Raw sockets, so a test controls exactly what is sent and when.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{V, start};

/// Connects to the emulator behind `base` (`http://127.0.0.1:PORT`).
async fn connect(base: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads one response (headers and a `Content-Length` body), failing after `within`.
async fn read_response(sock: &mut TcpStream, within: Duration) -> (u16, String) {
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    let status = head[9..12].parse().unwrap();
                    let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                    return (status, body);
                }
            }
            let n = sock.read(&mut chunk).await.expect("read");
            assert!(
                n > 0,
                "connection closed before a response: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(within, read)
        .await
        .expect("a response in time")
}

/// A 200 MB POST without a token is answered 401 as soon as its headers are in: the body is
/// never read (it used to be buffered first, and answered 400 EXCEEDED_MAX_SIZE).
#[tokio::test]
async fn unauthenticated_bodies_are_refused_before_they_are_read() {
    let org = start().await;
    for auth in ["", "Authorization: Bearer 00Dnot!atoken\r\n"] {
        let mut sock = connect(org.emu.base_url()).await;
        let head = format!(
            "POST {V}/sobjects/Account HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            200 * 1024 * 1024
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(&vec![b' '; 1024 * 1024]).await.unwrap();
        let (status, body) = read_response(&mut sock, Duration::from_secs(10)).await;
        assert_eq!(status, 401, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID", "fields": []}])
        );
    }
    // With a token, a body declared over the limit is refused without being read either.
    let mut sock = connect(org.emu.base_url()).await;
    let head = format!(
        "PUT {V}/jobs/ingest/7500E0000000001AAA/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        org.token,
        200 * 1024 * 1024
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let (status, body) = read_response(&mut sock, Duration::from_secs(10)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(r#""errorCode":"EXCEEDED_MAX_SIZE""#),
        "{body}"
    );
    // The org still serves.
    let (s, _) = org.get("/limits").await;
    assert_eq!(s, reqwest::StatusCode::OK);
}
