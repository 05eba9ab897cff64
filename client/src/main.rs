//! Quire's respondent app (see the library for how it is put together).

use quire_client::App;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
