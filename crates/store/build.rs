// `sqlx::migrate!` embeds the migration files at compile time, but a proc macro cannot ask
// cargo to watch a directory: without this, a new migration file is left out of the next
// build (as sqlx's documentation warns).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
