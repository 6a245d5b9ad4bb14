//! Writes the page's capabilities (src/shown.rs, from the core's sets) as JSON text into OUT_DIR,
//! for `vocabulary::capabilities()`: built on the host with the same core, so the page offers
//! exactly what the edge accepts, and its wasm carries text instead of serializing code.

#[path = "src/shown.rs"]
mod shown;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let text = serde_json::to_string(&shown::capabilities())?;
    std::fs::write(out.join("capabilities.json"), text)?;
    Ok(())
}
