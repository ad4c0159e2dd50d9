//! The HTTP front against hostile or broken clients: bodies that are never authenticated,
//! bodies over the limit, clients that stall, more connections than the cap. Raw sockets, so a test controls exactly what is sent and when.

use std::time::{Duration, Instant};

use sfmap::emulate::EmulatorConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{V, start, start_with};

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

fn slow_limits(max_connections: usize) -> EmulatorConfig {
    EmulatorConfig {
        header_timeout: Duration::from_millis(800),
        body_timeout: Duration::from_millis(800),
        max_connections,
        ..EmulatorConfig::default()
    }
}

/// Reads until the server closes the connection; how long that took.
async fn closed_after(sock: &mut TcpStream, within: Duration) -> Duration {
    let started = Instant::now();
    let closed = async {
        let mut chunk = [0u8; 1024];
        loop {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, closed)
        .await
        .expect("the server closed the connection in time");
    started.elapsed()
}

/// Half a request line, then nothing: closed once the header timeout has passed. A body that
/// stops halfway is closed once the body timeout has passed.
#[tokio::test]
async fn stalled_clients_are_timed_out() {
    let org = start_with(slow_limits(16)).await;
    let mut sock = connect(org.emu.base_url()).await;
    sock.write_all(b"GET /services/da").await.unwrap();
    let took = closed_after(&mut sock, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(700), "{took:?}");

    let mut sock = connect(org.emu.base_url()).await;
    let head = format!(
        "POST {V}/sobjects/Account HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"Name\":",
        org.token
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let took = closed_after(&mut sock, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());
    let (s, _) = org.get("/limits").await;
    assert_eq!(s, reqwest::StatusCode::OK);
}

/// At the connection cap a new client waits (in the listen backlog) until a connection closes:
/// here until the two stalled ones are timed out.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let org = start_with(slow_limits(2)).await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut sock = connect(org.emu.base_url()).await;
        sock.write_all(b"GET /services/da").await.unwrap();
        stalled.push(sock);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (s, _) = org.get("/limits").await;
    assert_eq!(s, reqwest::StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}
