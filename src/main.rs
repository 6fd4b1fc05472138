// mimalloc: imports parse on worker threads and free on the writer's, and the server
// allocates per request on every worker; glibc's arenas spent a quarter of a 1M import in
// malloc, free and their locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = incident_atlas::cli::config_file::parse_cli();
    incident_atlas::cli::init_logging(cli.log_format);
    match incident_atlas::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
