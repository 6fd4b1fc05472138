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
