//! The `ocipipe` binary: parse arguments, run, print the error chain and map
//! the outcome to an exit code (0 success, 1 failure, 2 usage).

use clap::Parser;
use ocipipe::cli::{self, Cli, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    few_malloc_arenas();
    ocipipe::tls::install_crypto_provider();
    if let Err(e) = ocipipe::store::cleanup::install_signal_handler() {
        eprintln!(
            "warning: cannot watch for interrupts ({e}); an interrupted run may leave temporary files"
        );
    }
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let outcome = cli::run(cli);
    ocipipe::store::cleanup::wait_if_interrupted();
    match outcome {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", ocipipe::model::printable(&report(&e)));
            match e.is::<cli::UsageError>() {
                true => ExitCode::from(2),
                false => ExitCode::from(1),
            }
        }
    }
}

/// The error and its causes, one per line; a cause whose words the
/// lines above already say (`cannot write X: No space left` then `No
/// space left`) is left out.
fn report(e: &anyhow::Error) -> String {
    let mut message = format!("error: {e}");
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(&format!("\n  caused by: {cause}"));
        }
    }
    message
}

/// A reader that closed our stdout (`ocipipe … | head -1`) is no error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(verbose: u8) {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time();
    // `RUST_LOG` directives when given; else a level, which (unlike a
    // filter of directives) costs nothing to set up.
    match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => subscriber.with_env_filter(filter).init(),
        Err(_) => subscriber
            .with_max_level(match verbose {
                0 => tracing::Level::WARN,
                1 => tracing::Level::INFO,
                _ => tracing::Level::DEBUG,
            })
            .init(),
    }
}

/// glibc gives threads that allocate at once arenas of their own, up to
/// eight per core, and keeps in each what was freed there: a build writing
/// three outputs at once (256 MiB) peaked at 64.6 MiB with them, 54 MiB
/// with two. Two suffice: the heavy work is I/O on a few threads, in
/// buffers of a megabyte or more.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn few_malloc_arenas() {
    // SAFETY: `mallopt` only sets a tunable; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn few_malloc_arenas() {}
