//! The docker credential-helper protocol (docker/docker-credential-helpers):
//! `docker-credential-NAME get|store|erase`, the server or the credentials
//! on stdin, the answer on stdout, `credentials not found in native
//! keychain` and exit 1 for a server the helper holds nothing for.
//!
//! A helper is any program on `PATH`, so every run is bounded: what it
//! prints is capped at [`MAX_HELPER_OUTPUT`] and it is stopped after
//! [`HELPER_TIMEOUT`].
//!
//! Owns: running a helper and reading its answer. Must not: decide which
//! helper keeps which server (`credentials` does), or let a secret into an
//! error: a helper's own message is shown without what it was sent,
//! escaped and shortened, and an answer that is not the protocol's JSON is
//! never shown.

use super::credentials::Credential;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one helper run may take: long enough for a helper that asks
/// the user to unlock a keyring, short enough that a hung one is noticed.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// The most a helper may print on stdout or on stderr: an answer is a few
/// hundred bytes, so this only stops a helper gone wrong.
pub const MAX_HELPER_OUTPUT: usize = 4 << 20;

/// The most of a helper's own message an error shows, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// What every helper prints (docker-credential-helpers'
/// `ErrCredentialsNotFound`) for a server it holds nothing for: docker,
/// skopeo and crane take it as "no credentials".
const NOT_FOUND: &str = "credentials not found in native keychain";

/// The user name a helper gives for an identity (refresh) token.
const TOKEN_USERNAME: &str = "<token>";

/// A credential helper, `docker-credential-NAME`, and where the Docker
/// config names it (for errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    program: String,
    named_by: String,
}

/// A helper run that failed (boxed: results stay small).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct HelperError(Box<Failed>);

/// Which run failed, and how.
#[derive(Debug, thiserror::Error)]
#[error("{program} {action} for {server} ({named_by}): {failure}")]
struct Failed {
    program: String,
    action: &'static str,
    server: String,
    named_by: String,
    failure: Failure,
}

/// How a helper run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// There is no such program.
    #[error("no such program on PATH; install it or change the Docker config")]
    NotInstalled,
    /// It could not be started.
    #[error("cannot run it: {0}")]
    Spawn(std::io::Error),
    /// It did not finish within [`HELPER_TIMEOUT`].
    #[error("no answer within {} s; it was stopped", HELPER_TIMEOUT.as_secs())]
    TimedOut,
    /// It printed more than [`MAX_HELPER_OUTPUT`].
    #[error("it printed more than {} MiB; it was stopped", MAX_HELPER_OUTPUT >> 20)]
    TooMuch,
    /// It exited with an error.
    #[error("it failed ({status}): {message}")]
    Failed {
        /// How it exited.
        status: String,
        /// Its own words: escaped, shortened, without what it was sent.
        message: String,
    },
    /// Its answer is not the protocol's JSON.
    #[error("its answer is not the credential-helper protocol's {{\"Username\", \"Secret\"}} JSON")]
    Malformed,
}

/// How a run ended: its stdout, or the helper's "not found".
enum Answer {
    Done(Vec<u8>),
    NotFound,
}

impl Helper {
    /// The helper `docker-credential-NAME`, named by `named_by` (e.g.
    /// "`credsStore` of ~/.docker/config.json").
    pub fn new(name: &str, named_by: String) -> Self {
        Self {
            program: format!("docker-credential-{name}"),
            named_by,
        }
    }

    /// The program, `docker-credential-NAME`.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The credential it holds for `server`, `None` when it holds none.
    pub fn get(&self, server: &str) -> Result<Option<Credential>, HelperError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            username: String,
            secret: String,
        }
        match self.run("get", server, server.as_bytes(), None)? {
            self::Answer::NotFound => Ok(None),
            self::Answer::Done(out) => {
                let answer: Answer = serde_json::from_slice(&out)
                    .map_err(|_| self.error("get", server, Failure::Malformed))?;
                Ok(Some(if answer.username == TOKEN_USERNAME {
                    Credential::IdentityToken(answer.secret)
                } else {
                    Credential::Basic {
                        username: answer.username,
                        password: answer.secret,
                    }
                }))
            }
        }
    }

    /// Gives it `username` and `secret` to keep for `server`.
    pub fn store(&self, server: &str, username: &str, secret: &str) -> Result<(), HelperError> {
        let input = serde_json::json!({
            "ServerURL": server,
            "Username": username,
            "Secret": secret,
        });
        let input = serde_json::to_vec(&input).expect("JSON values serialize");
        match self.run("store", server, &input, Some(secret))? {
            Answer::Done(_) => Ok(()),
            Answer::NotFound => Err(self.error(
                "store",
                server,
                Failure::Failed {
                    status: "exit status 1".to_string(),
                    message: NOT_FOUND.to_string(),
                },
            )),
        }
    }

    /// Makes it forget `server`; whether it held anything.
    pub fn erase(&self, server: &str) -> Result<bool, HelperError> {
        match self.run("erase", server, server.as_bytes(), None)? {
            Answer::Done(_) => Ok(true),
            Answer::NotFound => Ok(false),
        }
    }

    fn error(&self, action: &'static str, server: &str, failure: Failure) -> HelperError {
        HelperError(Box::new(Failed {
            program: self.program.clone(),
            action,
            server: server.to_string(),
            named_by: self.named_by.clone(),
            failure,
        }))
    }

    /// Runs `PROGRAM action` with `input` on stdin, bounded in time and
    /// output. `secret` (part of `input`) is kept out of its messages.
    fn run(
        &self,
        action: &'static str,
        server: &str,
        input: &[u8],
        secret: Option<&str>,
    ) -> Result<Answer, HelperError> {
        let fail = |failure| self.error(action, server, failure);
        tracing::debug!(helper = %self.program, action, server, "running a credential helper");
        let mut child = Command::new(&self.program)
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => fail(Failure::NotInstalled),
                _ => fail(Failure::Spawn(e)),
            })?;
        let (status, stdout, stderr) = match bounded(&mut child, input) {
            Ok(finished) => finished,
            Err(failure) => {
                // Stopped: its children, if any, keep their own time.
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(failure));
            }
        };
        if status.success() {
            return Ok(Answer::Done(stdout));
        }
        let said = String::from_utf8_lossy(&stdout);
        if said.trim() == NOT_FOUND {
            return Ok(Answer::NotFound);
        }
        let words = if said.trim().is_empty() {
            String::from_utf8_lossy(&stderr)
        } else {
            said
        };
        Err(fail(Failure::Failed {
            status: status.to_string(),
            message: shown(&words, secret),
        }))
    }
}

/// Which of a helper's outputs a reader thread read.
enum Stream {
    Out,
    Err,
}

/// Feeds `input` to `child` and reads its stdout and stderr (each capped
/// at [`MAX_HELPER_OUTPUT`]) until it exits, within [`HELPER_TIMEOUT`].
fn bounded(child: &mut Child, input: &[u8]) -> Result<(ExitStatus, Vec<u8>, Vec<u8>), Failure> {
    let deadline = Instant::now() + HELPER_TIMEOUT;
    // Threads: a helper may print before it reads, or never read at all.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    std::thread::spawn(move || {
        // A helper that exits without reading closes the pipe: no error.
        let _ = stdin.write_all(&input);
    });
    let (sender, answers) = mpsc::channel();
    let readers: [(Stream, Box<dyn Read + Send>); 2] = [
        (
            Stream::Out,
            Box::new(child.stdout.take().expect("stdout is piped")),
        ),
        (
            Stream::Err,
            Box::new(child.stderr.take().expect("stderr is piped")),
        ),
    ];
    for (stream, reader) in readers {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = reader
                .take(MAX_HELPER_OUTPUT as u64 + 1)
                .read_to_end(&mut bytes);
            let _ = sender.send((stream, read.map(|_| bytes)));
        });
    }
    drop(sender);
    let (mut stdout, mut stderr) = (None, None);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut);
        }
        if stdout.is_some() && stderr.is_some() {
            // Both closed; it may still run (a helper that closed them).
            if let Some(status) = child.try_wait().map_err(Failure::Spawn)? {
                return Ok((
                    status,
                    stdout.unwrap_or_default(),
                    stderr.unwrap_or_default(),
                ));
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
            continue;
        }
        match answers.recv_timeout(left) {
            Ok((_, Ok(bytes))) if bytes.len() > MAX_HELPER_OUTPUT => return Err(Failure::TooMuch),
            // An unreadable stream counts as empty; the exit status says more.
            Ok((Stream::Out, read)) => stdout = Some(read.unwrap_or_default()),
            Ok((Stream::Err, read)) => stderr = Some(read.unwrap_or_default()),
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(Failure::TimedOut),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                stdout.get_or_insert_with(Vec::new);
                stderr.get_or_insert_with(Vec::new);
            }
        }
    }
}

/// A helper's own words as an error shows them: without `secret` (nor its
/// JSON-escaped form), on one line, control characters escaped, at most
/// [`MAX_MESSAGE_CHARS`] characters.
fn shown(words: &str, secret: Option<&str>) -> String {
    let mut words = words.to_string();
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        let escaped = serde_json::to_string(secret).expect("strings serialize");
        let escaped = &escaped[1..escaped.len() - 1];
        for form in [escaped, secret] {
            words = words.replace(form, "<hidden>");
        }
    }
    let line = words
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    let mut escaped: String = line
        .chars()
        .flat_map(|c| match c {
            c if c.is_control() => c.escape_default().collect::<Vec<_>>(),
            c => vec![c],
        })
        .collect();
    if escaped.is_empty() {
        return "it said nothing".to_string();
    }
    if let Some((cut, _)) = escaped.char_indices().nth(MAX_MESSAGE_CHARS) {
        escaped.truncate(cut);
        escaped.push('…');
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helpers_words_lose_the_secret_and_control_characters_and_stay_short() {
        assert_eq!(
            shown(
                "locked: {\"Secret\":\"p\\\"w\"}\n\x1b[2K again p\"w\n",
                Some("p\"w")
            ),
            "locked: {\"Secret\":\"<hidden>\"} / \\u{1b}[2K again <hidden>"
        );
        assert_eq!(shown(" \n", None), "it said nothing");
        let long = shown(&"é".repeat(1000), None);
        assert_eq!(long.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn a_missing_helper_is_named_with_where_the_config_names_it() {
        let helper = Helper::new("ocipipe-absent-helper", "`credsStore` of /c.json".into());
        let error = helper.get("registry.example:5000").unwrap_err().to_string();
        assert_eq!(
            error,
            "docker-credential-ocipipe-absent-helper get for registry.example:5000 \
             (`credsStore` of /c.json): no such program on PATH; install it or change \
             the Docker config"
        );
    }
}
