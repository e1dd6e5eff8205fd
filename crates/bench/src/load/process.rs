//! The server's process, read through Linux's /proc: which process listens on the port, and
//! its resident memory.

use serde::Serialize;
use std::fs;

/// Resident memory of a process, in KiB, as /proc/<pid>/status gives it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Memory {
    /// VmRSS: resident now.
    pub rss_kib: u64,
    /// VmHWM: the most it was resident at once since it started.
    pub peak_kib: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// The process listening on TCP `port`: the socket's inode from /proc/net/tcp{,6}, then the
/// process holding that inode among the open files in /proc/*/fd (only the processes this
/// user may inspect).
pub fn listening_on(port: u16) -> Option<u32> {
    let sockets: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| listening_socket(line, port))
                .collect::<Vec<_>>()
        })
        .collect();
    if sockets.is_empty() {
        return None;
    }
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let holds_socket = fs::read_dir(entry.path().join("fd")).ok()?.flatten().any(|fd| {
            fs::read_link(fd.path())
                .ok()
                .and_then(|target| target.to_str().map(|t| sockets.iter().any(|s| s == t)))
                .unwrap_or(false)
        });
        holds_socket.then_some(pid)
    })
}

/// `socket:[INODE]` of a row of /proc/net/tcp that listens (state 0A) on `port`.
fn listening_socket(row: &str, port: u16) -> Option<String> {
    let columns: Vec<&str> = row.split_whitespace().collect();
    let local_port = columns.get(1)?.rsplit(':').next()?;
    let listens = u16::from_str_radix(local_port, 16).ok()? == port && *columns.get(3)? == "0A";
    listens.then(|| format!("socket:[{}]", columns.get(9).unwrap_or(&"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_this_process_by_the_port_it_listens_on() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        assert_eq!(listening_on(port), Some(std::process::id()));
        let memory = memory(std::process::id()).expect("own memory");
        assert!(memory.rss_kib > 0 && memory.peak_kib >= memory.rss_kib);
    }
}
