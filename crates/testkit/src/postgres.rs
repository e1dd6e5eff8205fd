//! Fresh PostgreSQL databases for tests: each test gets its own, so tests never share state.

use sqlx::Connection;

/// The PostgreSQL server tests use: `TAWASUL_TEST_POSTGRES_URL`, by default the local one.
pub fn server_url() -> String {
    std::env::var("TAWASUL_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates a fresh, empty database on the test server and returns its URL. Fails loudly
/// when the server is unreachable: a PostgreSQL test must never pass by being skipped.
pub async fn fresh_database() -> String {
    let server = server_url();
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {server} is unreachable ({e}); the tests need it"));
    let name = format!("tw_test_{:016x}", random_u64());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A PostgreSQL server of the test's own, in a temporary directory on a free port, that the
/// test may stop and start again (the shared server on 5432 is never touched). Made with the
/// binaries of `/usr/lib/postgresql/*/bin`, run as the `postgres` OS user, since `initdb`
/// refuses root; stopped when dropped.
pub struct PrivateServer {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PrivateServer {
    /// Makes the cluster and starts it. Panics with what is missing when this machine cannot:
    /// the test needs PostgreSQL's server binaries and root (to act as the `postgres` user).
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .flatten()
                    .map(|v| v.path().join("bin"))
                    .find(|b| b.join("initdb").exists())
            })
            .unwrap_or_else(|| panic!("this test needs PostgreSQL's server binaries in /usr/lib/postgresql/*/bin"));
        let dir = tempfile::tempdir().expect("tempdir");
        let owned = std::process::Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(
            owned.success(),
            "this test runs its own PostgreSQL as the `postgres` OS user: run it as root"
        );
        let data = dir.path().join("cluster");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let server = Self {
            bin,
            data,
            port,
            _dir: dir,
        };
        server.run(
            "initdb",
            &["-D", &server.data_arg(), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        server.start_again();
        server
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) on the same port and data, and waits until it accepts.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.data.parent().expect("the temporary directory").display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data_arg(),
                "-o",
                &options,
                "-l",
                &format!("{}/log", self.data_arg()),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`): connections
    /// are cut, nothing is flushed beyond what was committed.
    pub fn stop_immediately(&self) {
        self.run("pg_ctl", &["-D", &self.data_arg(), "-m", "immediate", "-w", "stop"]);
    }

    fn data_arg(&self) -> String {
        self.data.display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("runuser {program}: {e} (this test needs root and the `postgres` user)"));
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data_arg(), "-m", "immediate", "stop"])
            .output();
    }
}
