//! Schedule strings: a run's scheduler choices, written compactly so that
//! `ipcsim run FILE --schedule STR` replays exactly that run.
//!
//! Format: `v1:HASH:CHOICES`. HASH is the FNV-1a 64 hash of the scenario's
//! text (in hex), so a string is refused for any other file rather than
//! replaying something else. CHOICES are the choices in order, comma
//! separated, in decimal, with runs of zeros written `zN` (N zeros): a zero is
//! "no preemption" / "the first ready process", so a shrunk schedule is mostly
//! zeros and short.

use thiserror::Error;

/// The format version written and accepted.
pub const VERSION: &str = "v1";

/// Why a schedule string was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// Not `v1:HASH:CHOICES`.
    #[error("a schedule string looks like v1:HASH:CHOICES")]
    Malformed,
    /// Another format version.
    #[error("schedule format {0} is not supported (this ipcsim reads {VERSION})")]
    Version(String),
    /// Written for another scenario text.
    #[error("this schedule was recorded for another version of the scenario (hash {0}, this file {1}); record it again with ipcsim explore")]
    Hash(String, String),
}

/// FNV-1a 64 of a text: stable across versions and machines.
pub fn scenario_hash(src: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in src.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Writes the schedule string of `choices` for the scenario text `src`.
pub fn encode(src: &str, choices: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut zeros = 0usize;
    let flush = |zeros: &mut usize, parts: &mut Vec<String>| {
        match *zeros {
            0 => {}
            1 => parts.push("0".into()),
            n => parts.push(format!("z{n}")),
        }
        *zeros = 0;
    };
    // Trailing zeros are implied (replay reads 0 past the end).
    let end = choices.iter().rposition(|c| *c != 0).map_or(0, |i| i + 1);
    for c in &choices[..end] {
        if *c == 0 {
            zeros += 1;
        } else {
            flush(&mut zeros, &mut parts);
            parts.push(c.to_string());
        }
    }
    flush(&mut zeros, &mut parts);
    format!("{VERSION}:{}:{}", scenario_hash(src), parts.join(","))
}

/// A decoded schedule: the scheduler's choices, and the seed of the loss
/// stream where the run drew losses (`v1:HASH:CHOICES;loss=SEED`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The scheduler's choices.
    pub choices: Vec<u32>,
    /// The loss stream's seed, if the string names one.
    pub loss_seed: Option<u64>,
}

/// [`encode`], naming the loss stream's seed where the run drew from it (a
/// scenario with a lossy link), so the replay loses the same datagrams.
pub fn encode_with_loss(src: &str, choices: &[u32], loss_seed: Option<u64>) -> String {
    let s = encode(src, choices);
    match loss_seed {
        Some(l) => format!("{s};loss={l}"),
        None => s,
    }
}

/// Reads a schedule string for the scenario text `src`, with its loss seed.
pub fn decode_full(src: &str, s: &str) -> Result<Schedule, ScheduleError> {
    let (body, opts) = s.trim().split_once(';').unwrap_or((s.trim(), ""));
    let mut loss_seed = None;
    for opt in opts.split(';').filter(|o| !o.is_empty()) {
        let v = opt.strip_prefix("loss=").ok_or(ScheduleError::Malformed)?;
        loss_seed = Some(v.parse().map_err(|_| ScheduleError::Malformed)?);
    }
    Ok(Schedule {
        choices: decode(src, body)?,
        loss_seed,
    })
}

/// Reads a schedule string for the scenario text `src` (its choices).
pub fn decode(src: &str, s: &str) -> Result<Vec<u32>, ScheduleError> {
    let s = s.split_once(';').map_or(s, |(b, _)| b);
    let mut it = s.trim().splitn(3, ':');
    let (Some(v), Some(hash), Some(body)) = (it.next(), it.next(), it.next()) else {
        return Err(ScheduleError::Malformed);
    };
    if v != VERSION {
        return Err(ScheduleError::Version(v.to_string()));
    }
    let mine = scenario_hash(src);
    if hash != mine {
        return Err(ScheduleError::Hash(hash.to_string(), mine));
    }
    let mut out = Vec::new();
    for part in body.split(',').filter(|p| !p.is_empty()) {
        if let Some(n) = part.strip_prefix('z') {
            let n: usize = n.parse().map_err(|_| ScheduleError::Malformed)?;
            if n > 100_000_000 {
                return Err(ScheduleError::Malformed);
            }
            out.extend(std::iter::repeat_n(0, n));
        } else {
            out.push(part.parse().map_err(|_| ScheduleError::Malformed)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_zero_runs() {
        let c = [0, 0, 0, 2, 0, 1, 0, 0, 0, 0];
        let s = encode("x", &c);
        assert!(s.ends_with(":z3,2,0,1"), "{s}");
        let back = decode("x", &s).expect("decodes");
        assert_eq!(back, vec![0, 0, 0, 2, 0, 1]);
    }

    #[test]
    fn refuses_other_files_versions_and_garbage() {
        let s = encode("a", &[1]);
        assert!(matches!(decode("b", &s), Err(ScheduleError::Hash(..))));
        assert_eq!(
            decode("a", &s.replacen("v1", "v9", 1)),
            Err(ScheduleError::Version("v9".into()))
        );
        assert_eq!(decode("a", "nonsense"), Err(ScheduleError::Malformed));
        let bad = format!("v1:{}:1,x", scenario_hash("a"));
        assert_eq!(decode("a", &bad), Err(ScheduleError::Malformed));
    }
}
