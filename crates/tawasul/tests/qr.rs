//! `tawasul point` and `tawasul qr` as an operator runs them, on both backends: points added
//! and imported from CSV (all or none), their codes printed as PNG, SVG and a PDF sheet, and
//! each PNG read back by a decoder the project did not write (Debian's `zbarimg`, installed
//! by scripts/test) to the point's link.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tawasul_app::{App, Settings};
use tawasul_testkit::fixtures::Fixtures;
use tawasul_testkit::{on_both, Backend};

const EXE: &str = env!("CARGO_BIN_EXE_tawasul");
const PUBLIC: &str = "https://tawasul.example.bh";

/// A database with the capital and its water-leak service, made through the use cases, and
/// the arguments that name it.
struct Installation {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Installation {
    fn storage(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.dir.path().display().to_string()];
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(EXE)
            .args(args)
            .args(self.storage())
            .output()
            .expect("tawasul runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tawasul {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn point_codes(&self) -> Vec<String> {
        let store = tawasul_store::Store::open(self.dir.path(), self.database_url.as_deref())
            .await
            .expect("store");
        let codes = store
            .points(None)
            .await
            .expect("points")
            .into_iter()
            .map(|p| p.code)
            .collect();
        store.close().await;
        codes
    }
}

async fn installation(backend: Backend) -> Installation {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(tawasul_testkit::postgres::fresh_database().await),
    };
    let app = App::open(Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: database_url.clone(),
        ..Settings::default()
    })
    .await
    .expect("open");
    Fixtures::new(&app).await.capital(serde_json::json!([])).await;
    app.close().await;
    Installation { dir, database_url }
}

/// What zbarimg reads in a picture: one line per code.
fn zbarimg(file: &Path) -> Vec<String> {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(file)
        .output()
        .expect("zbarimg runs (scripts/test installs Debian's zbar-tools)");
    assert!(out.status.success(), "zbarimg found no code in {}", file.display());
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

on_both! { installation;
    async fn a_point_added_at_the_command_line_prints_a_code_that_decodes_to_its_form(site: &Installation) {
        let code = site.ok(&[
            "point", "add", "--entity", "cap", "--service", "water-leak", "--name", "عمود إنارة ١٠٤٢",
            "--name-en", "Street light 1042", "--lat", "26.2235", "--lon", "-0.5", "--asset-kind", "street-light",
        ]);
        let code = code.trim();
        assert_eq!(code.len(), 8, "a generated code: {code:?}");
        let png = site.file("point.png");
        let printed = site.ok(&["qr", "--point", code, "--out", png.to_str().expect("path"), "--public-url", PUBLIC]);
        assert_eq!(printed.trim(), png.display().to_string());
        assert_eq!(zbarimg(&png), [format!("{PUBLIC}/p/{code}")]);
        let svg = site.file("point.svg");
        site.ok(&["qr", "--point", code, "--out", svg.to_str().expect("path"), "--public-url", PUBLIC]);
        let svg = std::fs::read_to_string(svg).expect("svg");
        assert!(svg.starts_with("<svg") && svg.contains("عمود إنارة ١٠٤٢"), "the title names the point");
    }

    async fn an_import_adds_all_rows_or_none_and_a_batch_prints_as_a_sheet_and_as_files(site: &Installation) {
        let csv = site.file("points.csv");
        std::fs::write(&csv, "\u{feff}entity,service,name_ar,name_en,lat,lon,asset_kind,code\n\
            cap,water-leak,صمام ١,Valve 1,26.21,50.58,valve,V-1\n\
            cap,water-leak,صمام ٢,Valve 2,٢٦٫٢٢,50.59,valve,v-2\n").expect("write");
        let out = site.ok(&["point", "import", csv.to_str().expect("path")]);
        assert_eq!(out.lines().collect::<Vec<_>>(), ["v-1", "v-2"]);
        // The same file again: refused at its first line, nothing added.
        let again = site.run(&["point", "import", csv.to_str().expect("path")]);
        assert!(!again.status.success());
        let why = String::from_utf8_lossy(&again.stderr);
        assert!(why.contains("line 2") && why.contains("v-1"), "{why}");
        let bad = site.file("bad.csv");
        std::fs::write(&bad, "entity,service,name_ar,lat,lon\ncap,water-leak,صمام ٣,26.2,50.5\ncap,water-leak,\"<script>\u{202E}\",26.2,50.5\n").expect("write");
        let refused = site.run(&["point", "import", bad.to_str().expect("path")]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("line 3"));
        assert_eq!(site.point_codes().await, ["v-1", "v-2"], "nothing of a refused file was kept");

        let sheet = site.file("sheet.pdf");
        site.ok(&["qr", "--all", "--out", sheet.to_str().expect("path"), "--public-url", PUBLIC]);
        let pdf = std::fs::read(&sheet).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-") && text.contains(&format!("{PUBLIC}/p/v-1")) && text.contains(&format!("{PUBLIC}/p/v-2")));
        let base = site.file("label.png");
        let files = site.ok(&["qr", "--point", "v-1", "--point", "V-2", "--out", base.to_str().expect("path"), "--public-url", PUBLIC]);
        let files: Vec<&str> = files.lines().collect();
        assert_eq!(files.len(), 2);
        for (file, code) in files.iter().zip(["v-1", "v-2"]) {
            assert!(file.ends_with(&format!("label-{code}.png")), "{file}");
            assert_eq!(zbarimg(Path::new(file)), [format!("{PUBLIC}/p/{code}")]);
        }
        for (args, says) in [
            (vec!["qr", "--point", "nope", "--out", "x.png", "--public-url", PUBLIC], "nope"),
            (vec!["qr", "--point", "v-1", "--out", "x.gif", "--public-url", PUBLIC], ".png, .svg or .pdf"),
            (vec!["qr", "--point", "v-1", "--out", "x.png", "--public-url", "javascript:alert(1)"], "not an http(s) address"),
        ] {
            let out = site.run(&args);
            assert!(!out.status.success(), "{args:?}");
            assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
