//! The one test kit of Tawasul, for tests and benchmarks only (never linked into `tawasul`):
//!
//! - [`spawn`] starts the real application through [`tawasul_server::Application`] on a free
//!   port, on SQLite in a temporary directory or on a fresh PostgreSQL database;
//! - [`on_both!`] runs one check as `<name>::sqlite` and `<name>::postgres`;
//! - [`fixtures`] makes entities, departments, services and staff through the use cases;
//! - [`TestClock`] is a clock the test moves by hand;
//! - [`process`] runs the `tawasul` binary itself: a server [`process::Node`] and commands;
//! - [`sinks`] are real SMTP and HTTP receivers for what the application sends;
//! - [`TestApp`] talks to the application as a client would: JSON with a bearer token, and
//!   pages as a browser without JavaScript (with the CSRF cookie), and signs in.

pub mod fixtures;
pub mod photos;
pub mod postgres;
pub mod process;
pub mod sinks;
mod test_app;

pub use test_app::{spawn, Options, Page, TestApp, TestClock, CSRF};

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each check on both backends, as `<name>::sqlite` and `<name>::postgres`. `$setup` is
/// an async function taking a [`Backend`] and returning what each check borrows (a value
/// that derefs to the check's parameter type will do).
///
/// ```ignore
/// on_both! { site;
///     async fn home_page_answers(t: &TestApp) { … }
/// }
/// ```
#[macro_export]
macro_rules! on_both {
    ($setup:ident; $(async fn $name:ident($arg:ident: &$ty:ty) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn check($arg: &$ty) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fixture = $setup($crate::Backend::Sqlite).await;
                check(&fixture).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let fixture = $setup($crate::Backend::Postgres).await;
                check(&fixture).await;
            }
        }
    )*};
}

/// A tiny valid PNG (1×1); `variant` is its pixel's red, so that each variant is a different
/// file (a different blob) with the same content type. Encoded as the application re-encodes
/// photos, so that what is stored is byte for byte what was sent.
pub fn png(variant: u8) -> Vec<u8> {
    let pixel = image::RgbImage::from_pixel(1, 1, image::Rgb([variant, 0x2a, 0x6f]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixel)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG in memory");
    out.into_inner()
}

/// A store alone on a fresh database of `backend`, for the store's own conformance suite.
pub async fn open_store(backend: Backend) -> StoreUnderTest {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(postgres::fresh_database().await),
    };
    let store = tawasul_store::Store::open(dir.path(), url.as_deref())
        .await
        .expect("the store opens");
    StoreUnderTest { store, _dir: dir }
}

/// A store on a fresh database, with the directory that holds it.
pub struct StoreUnderTest {
    store: tawasul_store::Store,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for StoreUnderTest {
    type Target = tawasul_store::Store;

    fn deref(&self) -> &Self::Target {
        &self.store
    }
}
