//! Any request body, under either algorithm: decoding never panics, and what opens reseals.
#![no_main]

use hookmap_core::{inbound, Algorithm, Encryption};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for algorithm in [Algorithm::Aes256Cbc, Algorithm::Aes256Gcm] {
        let Ok(enc) = Encryption::new(
            algorithm,
            "k3y-for-hookmap-fuzzing-32-chars",
            "iv-16-characters",
        ) else {
            return;
        };
        let _ = inbound::decode(body, Some(&enc), None);
        if let Ok(plain) = enc.open(body) {
            let sealed = enc.seal(&plain, None).expect("what opened must seal again");
            assert_eq!(enc.open(sealed.as_bytes()).expect("and open again"), plain);
        }
    }
    let _ = inbound::decode(body, None, None);
});
