//! Institution logos for the sandbox: 152×152 PNGs (Plaid's logo format)
//! drawn in the institution's colour with a white bank glyph, generated once
//! and cached.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::ZlibEncoder;

const SIZE: usize = 152;

/// The logo for `color` (`#rrggbb`), base64-encoded PNG.
pub fn logo_base64(color: &str, name: &str) -> String {
    static CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let key = format!("{color}/{name}");
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let encoded = STANDARD.encode(png(&pixels(parse_color(color))));
    if let Ok(mut c) = cache.lock() {
        c.insert(key, encoded.clone());
    }
    encoded
}

/// `#rrggbb` or `rrggbb` → RGB; grey when unreadable.
pub fn parse_color(color: &str) -> [u8; 3] {
    let hex = color.trim_start_matches('#');
    let channel = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0x60);
    [channel(0), channel(2), channel(4)]
}

/// RGBA rows: a coloured disc with a white bank (pediment, columns, base).
fn pixels(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SIZE * SIZE * 4);
    let centre = SIZE as f64 / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
            let inside = ((fx - centre).powi(2) + (fy - centre).powi(2)).sqrt() <= centre - 1.0;
            let white = is_glyph(x, y);
            let pixel = match (inside, white) {
                (false, _) => [0, 0, 0, 0],
                (true, true) => [255, 255, 255, 255],
                (true, false) => [rgb[0], rgb[1], rgb[2], 255],
            };
            out.extend_from_slice(&pixel);
        }
    }
    out
}

fn is_glyph(x: usize, y: usize) -> bool {
    let (x, y) = (x as i64, y as i64);
    // Pediment: a triangle from (40,62) to (112,62) with apex (76,38).
    let pediment = (38..=62).contains(&y) && (x - 76).abs() <= (y - 38) * 36 / 24;
    let columns = (68..=100).contains(&y) && [44, 64, 84, 104].iter().any(|c| (*c - 6..=*c + 2).contains(&x));
    let base = (104..=114).contains(&y) && (36..=116).contains(&x);
    pediment || columns || base
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

fn png(rgba: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(rgba.len() + SIZE);
    for row in rgba.chunks(SIZE * 4) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    let _ = encoder.write_all(&raw);
    let compressed = encoder.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let size = u32::try_from(SIZE).unwrap_or(0).to_be_bytes();
    let mut header = Vec::new();
    header.extend_from_slice(&size);
    header.extend_from_slice(&size);
    header.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &compressed);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_small_valid_pngs() {
        let logo = logo_base64("#1f6f8b", "First Platypus Bank");
        let bytes = STANDARD.decode(&logo).expect("base64");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(bytes.len() < 4_000, "{} bytes", bytes.len());
        assert_eq!(&bytes[16..24], &[0, 0, 0, 152, 0, 0, 0, 152]);
        assert_eq!(logo_base64("#1f6f8b", "First Platypus Bank"), logo, "cached");
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(parse_color("#ff8000"), [255, 128, 0]);
    }
}
