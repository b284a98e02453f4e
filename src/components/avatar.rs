//! A round picture for a merchant or a bank: its logo when there is one,
//! else its initial on a colour (the brand's, or one picked from the name so
//! the same name always gets the same colour).

use leptos::prelude::*;

use crate::format::initial;

/// Colours with white text at a contrast ratio of at least 4.5:1.
const PALETTE: [&str; 8] = ["#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0f766e", "#4d7c0f", "#c2410c"];

/// The colour of `name`'s initial when it has no brand colour.
pub fn palette_color(name: &str) -> &'static str {
    // FNV-1a: stable across builds and targets, unlike `DefaultHasher`.
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    PALETTE[hash as usize % PALETTE.len()]
}

/// A `#rgb` or `#rrggbb` colour, or `None` (brand colours come from
/// providers: never put into a style attribute unchecked).
fn safe_color(color: Option<&str>) -> Option<&str> {
    color.filter(|c| {
        c.strip_prefix('#').is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|h| h.is_ascii_hexdigit()))
    })
}

/// An image the page may show: `https:` or an inline PNG/JPEG/SVG-free data URL.
fn safe_image(url: Option<&str>) -> Option<&str> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("data:image/png;") || u.starts_with("data:image/jpeg;"))
}

/// Decorative (`aria-hidden`): the name is always written next to it.
#[component]
pub fn Avatar(
    name: String,
    #[prop(optional_no_strip)] image: Option<String>,
    #[prop(optional_no_strip)] color: Option<String>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let background = safe_color(color.as_deref()).unwrap_or_else(|| palette_color(&name)).to_owned();
    let image = safe_image(image.as_deref()).map(str::to_owned);
    view! {
        <span class=format!("avatar {class}") style=format!("background-color:{background}") aria-hidden="true">
            <span class="avatar-initial">{initial(&name)}</span>
            // A logo that fails to load has an empty alt: nothing is drawn
            // and the initial below shows through.
            {image.map(|src| view! { <img class="avatar-image" src=src alt="" loading="lazy" decoding="async" /> })}
        </span>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stable_and_checked() {
        assert_eq!(palette_color("Starbucks"), palette_color("Starbucks"));
        assert_eq!(safe_color(Some("#12abEF")), Some("#12abEF"));
        assert_eq!(safe_color(Some("#fff")), Some("#fff"));
        assert_eq!(safe_color(Some("red;background:url(x)")), None);
        assert_eq!(safe_image(Some("javascript:alert(1)")), None);
        assert_eq!(safe_image(Some("data:image/svg+xml;base64,x")), None);
        assert_eq!(safe_image(Some("https://logo.example/a.png")), Some("https://logo.example/a.png"));
    }
}
