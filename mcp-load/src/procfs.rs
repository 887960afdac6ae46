//! What Linux says about a local process: its CPU time and its peak memory, from `/proc`.
//!
//! CPU time is in clock ticks of 1/100 s (`USER_HZ`, fixed at 100 in the kernel's ABI on every
//! architecture Linux ships): a run of a second or more divides it finely enough per call.

use std::time::Duration;

/// Clock ticks per second in `/proc/PID/stat`.
const USER_HZ: f64 = 100.0;

/// User plus system CPU time of `pid` so far (all its threads), or `None` off Linux or once it
/// has exited.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu(&stat)
}

/// The CPU time in the text of `/proc/PID/stat`.
fn parse_cpu(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15; after the name, 12th and 13th (index 11, 12).
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / USER_HZ))
}

/// The most resident memory `pid` has had (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_hwm(&status)
}

fn parse_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_and_status() {
        let stat = "4242 (my server (v2)) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 31 0 0 20 0 1 0 100 1000 200";
        assert_eq!(parse_cpu(stat), Some(Duration::from_millis(2810)));
        let status = "Name:\tbench\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(parse_hwm(status), Some(5120));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(cpu_time(me).is_some());
        assert!(peak_rss_kib(me).unwrap() > 0);
    }
}
