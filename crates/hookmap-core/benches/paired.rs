//! The native half of the paired engine benchmark (scripts/bench/engine.mjs). Criterion times each
//! variant in its own stretch of seconds, and on a shared VM the machine's speed drifts between
//! stretches by more than the differences the goals are about; so engine.mjs times the native and
//! wasm variants back to back in rounds and compares within each round. This binary serves the
//! native side: for each line `index parse|plan n` on stdin it runs workload `index` n times and
//! answers with the microseconds that took.
#![allow(missing_docs)]

#[allow(dead_code)] // the names are engine.mjs's business
mod workloads;

use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> Result<(), String> {
    // `cargo bench` runs every bench target; this one only does something when engine.mjs asks.
    if !std::env::args().any(|a| a == "--serve") {
        println!("paired: run by scripts/bench/engine.mjs (make bench), which passes --serve");
        return Ok(());
    }
    let prepared = workloads::prepared()?;
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let answer = match line.split_whitespace().collect::<Vec<_>>()[..] {
            [index, mode @ ("parse" | "plan"), n] => {
                let (w, mapping) = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| prepared.get(i))
                    .ok_or_else(|| format!("no workload {index:?}"))?;
                let n: u64 = n.parse().map_err(|_| format!("bad count {n:?}"))?;
                let start = Instant::now();
                for _ in 0..n {
                    workloads::pass(w, mapping, mode == "parse")?;
                }
                start.elapsed().as_secs_f64() * 1e6
            }
            _ => return Err(format!("expected `index parse|plan n`, got {line:?}")),
        };
        writeln!(out, "{answer}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}
