//! What the in-process server tests share: a server run on its own thread (stopped when dropped)
//! with its events collected, and one HTTP/1.1 request over a real socket.

use mlp_serve::{Event, Events, Server};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server answering on its own thread; dropping it stops the server and waits for it.
pub struct Running {
    pub addr: SocketAddr,
    pub stopper: mlp_serve::Stopper,
    pub thread: Option<std::thread::JoinHandle<()>>,
    /// Every event the server reported, as `Debug` text.
    pub events: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stopper.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A place for a server's events, and the sink to bind it with.
pub fn events() -> (Arc<Mutex<Vec<String>>>, Events) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = events.clone();
    (events, Arc::new(move |event: Event| log.lock().unwrap().push(format!("{event:?}"))))
}

/// Runs a bound server on its own thread.
pub fn run(server: Server, events: Arc<Mutex<Vec<String>>>) -> Running {
    let addr = server.local_addr();
    let stopper = server.stopper();
    let thread = std::thread::spawn(move || server.run().expect("runs"));
    Running { addr, stopper, thread: Some(thread), events }
}

/// One request with `Connection: close`: the status and the body.
pub fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_reply(&mut stream)
}

/// The status and body of the reply on `stream`, read to its end.
fn read_reply(stream: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reads the reply");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
