//! PNG work on the browser's screenshots: their size, and one image made
//! of several stacked (the stamped band over the raw screenshot), written
//! row by row as it is read, so a tall page never sits in memory decoded.

use std::io::{self, Cursor, Write};

/// Why a screenshot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImageError {
    #[error("the browser's screenshot is not a readable PNG: {0}")]
    Decode(#[from] png::DecodingError),
    #[error("cannot write the PNG: {0}")]
    Encode(#[from] png::EncodingError),
    #[error("the parts to stack have different widths ({0} and {1} pixels)")]
    Widths(u32, u32),
    #[error("no image to stack")]
    Nothing,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Width and height of a PNG, in pixels.
pub(crate) fn size(png_bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let reader = png::Decoder::new(Cursor::new(png_bytes)).read_info()?;
    let info = reader.info();
    Ok((info.width, info.height))
}

/// Writes one RGBA PNG of `parts` stacked top to bottom (all of one width)
/// to `out`; returns its width and height.
pub(crate) fn stack(parts: &[&[u8]], out: impl Write) -> Result<(u32, u32), ImageError> {
    let mut width = None;
    let mut height = 0u32;
    for p in parts {
        let (w, h) = size(p)?;
        match width {
            None => width = Some(w),
            Some(w0) if w0 != w => return Err(ImageError::Widths(w0, w)),
            _ => {}
        }
        height = height.saturating_add(h);
    }
    let width = width.ok_or(ImageError::Nothing)?;
    let mut enc = png::Encoder::new(out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header()?;
    {
        let mut stream = writer.stream_writer()?;
        let mut rgba = Vec::with_capacity(width as usize * 4);
        for p in parts {
            let mut dec = png::Decoder::new(Cursor::new(*p));
            dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
            let mut reader = dec.read_info()?;
            let (color, _) = reader.output_color_type();
            while let Some(row) = reader.next_row()? {
                rgba.clear();
                to_rgba(row.data(), color, &mut rgba);
                stream.write_all(&rgba)?;
            }
        }
        stream.finish()?;
    }
    Ok((width, height))
}

fn to_rgba(row: &[u8], color: png::ColorType, out: &mut Vec<u8>) {
    match color {
        png::ColorType::Rgba => out.extend_from_slice(row),
        png::ColorType::Rgb => {
            for px in row.chunks_exact(3) {
                out.extend_from_slice(&[px[0], px[1], px[2], 255]);
            }
        }
        png::ColorType::GrayscaleAlpha => {
            for px in row.chunks_exact(2) {
                out.extend_from_slice(&[px[0], px[0], px[0], px[1]]);
            }
        }
        png::ColorType::Grayscale => {
            for &g in row {
                out.extend_from_slice(&[g, g, g, 255]);
            }
        }
        // EXPAND turns indexed images into RGB(A) before they get here.
        png::ColorType::Indexed => unreachable!("indexed PNG rows are expanded by the decoder"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(w: u32, h: u32, color: png::ColorType, px: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        let row: Vec<u8> = px.repeat(w as usize * h as usize);
        wr.write_image_data(&row).unwrap();
        drop(wr);
        out
    }

    #[test]
    fn stacks_rgb_and_rgba_parts_into_one_image() {
        let top = png_of(3, 2, png::ColorType::Rgb, &[10, 20, 30]);
        let bottom = png_of(3, 5, png::ColorType::Rgba, &[1, 2, 3, 4]);
        let mut out = Vec::new();
        assert_eq!(stack(&[&top, &bottom], &mut out).unwrap(), (3, 7));
        assert_eq!(size(&out).unwrap(), (3, 7));
        let mut reader = png::Decoder::new(Cursor::new(&out)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        assert_eq!(&buf[..4], &[10, 20, 30, 255]);
        assert_eq!(&buf[buf.len() - 4..], &[1, 2, 3, 4]);
    }

    #[test]
    fn parts_of_other_widths_are_refused() {
        let a = png_of(3, 1, png::ColorType::Rgb, &[0, 0, 0]);
        let b = png_of(4, 1, png::ColorType::Rgb, &[0, 0, 0]);
        assert!(matches!(
            stack(&[&a, &b], Vec::new()),
            Err(ImageError::Widths(3, 4))
        ));
    }
}
