use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = incident_atlas::cli::Cli::parse();
    incident_atlas::cli::init_logging(cli.log_format);
    match incident_atlas::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
