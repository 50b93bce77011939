//! Seeded image augmentation for training batches: the `augmentation` built-ins of
//! `stdlib/data.mlp`, as the checker types them ([`Augmentation`]).
//!
//! - `flip()` mirrors an image left to right with probability 1/2.
//! - `crop(padding)` shifts it by a uniform whole number of pixels in [-padding, padding] along
//!   each axis: the same as padding it with `padding` zeros and cropping the original size at a
//!   random offset.
//! - `rotate(degrees)` turns it about its centre by a uniform angle in [-|degrees|, |degrees|],
//!   sampling bilinearly; pixels whose source lies outside the image become zero.
//!
//! [`augment`] transforms a batch of images in place. Every random choice is drawn from the
//! pipeline's [`Rng`] before any pixel moves, image by image and operation by operation in a fixed
//! order, so the result depends only on the generator's state (never on the number of threads);
//! the pixels are then transformed in parallel, one image per task. Each operation fills the
//! pixels it uncovers with zeros: after z-score normalization that is the training mean.
//!
//! Augmentation is for the training split only: validation and test images are scored as they are.

use crate::rng::Rng;
use mlp_compiler::program::Augmentation;
use rayon::prelude::*;

/// What one operation does to one image, drawn before any pixel moves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Flip,
    Shift {
        dx: isize,
        dy: isize,
    },
    /// The angle's cosine and sine.
    Rotate {
        cos: f64,
        sin: f64,
    },
}

/// The cosine and sine of an angle in degrees, exact at multiples of 90°.
fn cos_sin_degrees(degrees: f64) -> (f64, f64) {
    let quarter = degrees / 90.0;
    if quarter == quarter.round() {
        match (quarter.round() as i64).rem_euclid(4) {
            0 => (1.0, 0.0),
            1 => (0.0, 1.0),
            2 => (-1.0, 0.0),
            _ => (0.0, -1.0),
        }
    } else {
        let (sin, cos) = degrees.to_radians().sin_cos();
        (cos, sin)
    }
}

/// Draws one image's steps; the number of draws per operation is fixed, so every image consumes
/// the same amount of the stream whatever it draws.
fn draw(ops: &[Augmentation], rng: &mut Rng, steps: &mut Vec<Step>) {
    for op in ops {
        match *op {
            Augmentation::Flip => {
                if rng.next_u64() >> 63 == 1 {
                    steps.push(Step::Flip);
                }
            }
            Augmentation::Crop { padding } => {
                let span = 2 * padding as u64 + 1;
                let dx = rng.below(span) as isize - padding as isize;
                let dy = rng.below(span) as isize - padding as isize;
                if dx != 0 || dy != 0 {
                    steps.push(Step::Shift { dx, dy });
                }
            }
            Augmentation::Rotate { degrees } => {
                // The range is symmetric, so `rotate(-10)` means `rotate(10)`: the same draws,
                // the same angles.
                let angle = (2.0 * rng.next_f64() - 1.0) * degrees.abs();
                if angle != 0.0 {
                    let (cos, sin) = cos_sin_degrees(angle);
                    steps.push(Step::Rotate { cos, sin });
                }
            }
        }
    }
}

/// Augments every image of `batch` (images of `shape` = [channels, height, width], row-major, one
/// after another) in place: each image gets the operations of `ops` in order, with its own random
/// draws from `rng`. Deterministic for the state of `rng`, which advances by the same amount for
/// any pixel values. Panics if the batch length is not a multiple of the image size.
pub fn augment(batch: &mut [f32], shape: [usize; 3], ops: &[Augmentation], rng: &mut Rng) {
    let size = shape.iter().product::<usize>();
    if size == 0 || ops.is_empty() || batch.is_empty() {
        return;
    }
    assert!(batch.len() % size == 0, "a batch of {} values is not a whole number of {shape:?} images", batch.len());
    let images = batch.len() / size;
    // Every random choice first, sequentially: the pixels are then free to move in parallel.
    let mut plans: Vec<Vec<Step>> = Vec::with_capacity(images);
    for _ in 0..images {
        let mut steps = Vec::with_capacity(ops.len());
        draw(ops, rng, &mut steps);
        plans.push(steps);
    }
    let transform = |scratch: &mut Vec<f32>, (image, steps): (&mut [f32], &Vec<Step>)| {
        for step in steps {
            apply(image, scratch, shape, *step);
        }
    };
    // Small batches of small images are not worth a thread each.
    if batch.len() < 1 << 15 {
        let mut scratch = Vec::new();
        batch.chunks_mut(size).zip(&plans).for_each(|pair| transform(&mut scratch, pair));
    } else {
        batch.par_chunks_mut(size).zip(plans.par_iter()).for_each_init(Vec::new, transform);
    }
}

/// Applies one step to one image; `scratch` is reused between calls (no allocation per pixel).
fn apply(image: &mut [f32], scratch: &mut Vec<f32>, [channels, height, width]: [usize; 3], step: Step) {
    match step {
        Step::Flip => {
            for row in image.chunks_mut(width) {
                row.reverse();
            }
        }
        Step::Shift { dx, dy } => {
            scratch.clear();
            scratch.extend_from_slice(image);
            let plane = height * width;
            for c in 0..channels {
                let src = &scratch[c * plane..(c + 1) * plane];
                let dst = &mut image[c * plane..(c + 1) * plane];
                for y in 0..height {
                    let row = &mut dst[y * width..(y + 1) * width];
                    let sy = y as isize + dy;
                    if sy < 0 || sy >= height as isize {
                        row.fill(0.0);
                        continue;
                    }
                    let src_row = &src[sy as usize * width..(sy as usize + 1) * width];
                    // Output x reads source x + dx: the valid outputs are a contiguous run.
                    let start = (-dx).clamp(0, width as isize) as usize;
                    let end = (width as isize - dx).clamp(0, width as isize) as usize;
                    row[..start].fill(0.0);
                    row[end..].fill(0.0);
                    if start < end {
                        let from = (start as isize + dx) as usize;
                        row[start..end].copy_from_slice(&src_row[from..from + (end - start)]);
                    }
                }
            }
        }
        Step::Rotate { cos, sin } => {
            scratch.clear();
            scratch.extend_from_slice(image);
            let plane = height * width;
            let cx = (width as f64 - 1.0) / 2.0;
            let cy = (height as f64 - 1.0) / 2.0;
            for c in 0..channels {
                let src = &scratch[c * plane..(c + 1) * plane];
                let dst = &mut image[c * plane..(c + 1) * plane];
                for y in 0..height {
                    let ry = y as f64 - cy;
                    for x in 0..width {
                        let rx = x as f64 - cx;
                        // The output pixel shows the source point rotated back by the angle.
                        let sx = cx + rx * cos - ry * sin;
                        let sy = cy + rx * sin + ry * cos;
                        dst[y * width + x] = bilinear(src, width, height, sx, sy);
                    }
                }
            }
        }
    }
}

/// The plane sampled at (`x`, `y`) by bilinear interpolation, neighbours outside counting as 0.
#[inline]
fn bilinear(plane: &[f32], width: usize, height: usize, x: f64, y: f64) -> f32 {
    if !(x > -1.0 && y > -1.0 && x < width as f64 && y < height as f64) {
        return 0.0;
    }
    let x0 = x.floor();
    let y0 = y.floor();
    let fx = x - x0;
    let fy = y - y0;
    let (x0, y0) = (x0 as isize, y0 as isize);
    let at = |xi: isize, yi: isize| -> f64 {
        if xi < 0 || yi < 0 || xi >= width as isize || yi >= height as isize {
            0.0
        } else {
            f64::from(plane[yi as usize * width + xi as usize])
        }
    };
    // Exact weights of 0 skip the far neighbours, so integer positions copy the pixel exactly.
    let mut value = 0.0;
    if fy < 1.0 {
        let row = at(x0, y0) * (1.0 - fx) + if fx > 0.0 { at(x0 + 1, y0) * fx } else { 0.0 };
        value += row * (1.0 - fy);
    }
    if fy > 0.0 {
        let row = at(x0, y0 + 1) * (1.0 - fx) + if fx > 0.0 { at(x0 + 1, y0 + 1) * fx } else { 0.0 };
        value += row * fy;
    }
    value as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` images of `shape` with distinct values in [0, 1].
    fn batch(n: usize, shape: [usize; 3], seed: u64) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        (0..n * shape.iter().product::<usize>()).map(|_| rng.next_f64() as f32).collect()
    }

    #[test]
    fn flip_twice_is_the_identity() {
        let shape = [3, 5, 7];
        let original = batch(4, shape, 1);
        let mut data = original.clone();
        for image in data.chunks_mut(3 * 5 * 7) {
            apply(image, &mut Vec::new(), shape, Step::Flip);
            apply(image, &mut Vec::new(), shape, Step::Flip);
        }
        assert_eq!(data, original);
        // A random flip mirrors some images but not others, each exactly.
        augment(&mut data, shape, &[Augmentation::Flip], &mut Rng::new(7));
        let size = 3 * 5 * 7;
        let mut flipped = 0;
        for (i, (img, orig)) in data.chunks(size).zip(original.chunks(size)).enumerate() {
            if img != orig {
                flipped += 1;
                for (row, orow) in img.chunks(7).zip(orig.chunks(7)) {
                    let mirrored: Vec<f32> = orow.iter().rev().copied().collect();
                    assert_eq!(row, mirrored.as_slice(), "image {i}");
                }
            }
        }
        assert!(flipped > 0 && flipped < 4, "{flipped} of 4 flipped");
    }

    #[test]
    fn flip_happens_about_half_the_time() {
        let shape = [1, 1, 2];
        let mut data: Vec<f32> = (0..2000).flat_map(|_| [0.0, 1.0]).collect();
        augment(&mut data, shape, &[Augmentation::Flip], &mut Rng::new(3));
        let flipped = data.chunks(2).filter(|p| p[0] == 1.0).count();
        assert!((900..1100).contains(&flipped), "{flipped} of 2000");
    }

    #[test]
    fn zero_crop_and_zero_rotation_are_identities() {
        let shape = [2, 6, 6];
        let original = batch(5, shape, 2);
        let mut data = original.clone();
        let ops = [Augmentation::Crop { padding: 0 }, Augmentation::Rotate { degrees: 0.0 }];
        augment(&mut data, shape, &ops, &mut Rng::new(11));
        assert_eq!(data, original);
        // A full turn is exact too.
        let mut image = original[..72].to_vec();
        apply(&mut image, &mut Vec::new(), shape, Step::Rotate { cos: 1.0, sin: 0.0 });
        assert_eq!(image, original[..72]);
    }

    #[test]
    fn a_quarter_turn_is_a_transpose_and_a_flip() {
        let n = 5;
        let shape = [2, n, n];
        let original = batch(1, shape, 4);
        let mut image = original.clone();
        let (cos, sin) = cos_sin_degrees(90.0);
        apply(&mut image, &mut Vec::new(), shape, Step::Rotate { cos, sin });
        for c in 0..2 {
            let plane = &original[c * n * n..(c + 1) * n * n];
            // Transpose, then reverse the order of the rows.
            for y in 0..n {
                for x in 0..n {
                    let transposed_flipped = plane[x * n + (n - 1 - y)];
                    assert_eq!(image[c * n * n + y * n + x], transposed_flipped, "channel {c} at ({x}, {y})");
                }
            }
        }
        // Four quarter turns give the image back.
        for _ in 0..3 {
            apply(&mut image, &mut Vec::new(), shape, Step::Rotate { cos, sin });
        }
        assert_eq!(image, original);
    }

    #[test]
    fn a_shift_moves_pixels_and_fills_zeros() {
        let shape = [1, 3, 4];
        let mut image: Vec<f32> = (1..=12).map(|v| v as f32).collect();
        apply(&mut image, &mut Vec::new(), shape, Step::Shift { dx: 1, dy: -1 });
        // Output (x, y) reads source (x + 1, y - 1).
        assert_eq!(image, vec![0.0, 0.0, 0.0, 0.0, 2.0, 3.0, 4.0, 0.0, 6.0, 7.0, 8.0, 0.0]);
        let mut image: Vec<f32> = (1..=12).map(|v| v as f32).collect();
        apply(&mut image, &mut Vec::new(), shape, Step::Shift { dx: -5, dy: 0 });
        assert!(image.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn the_same_seed_gives_the_same_batch_and_the_stream_advances_alike() {
        let shape = [1, 28, 28];
        let original = batch(64, shape, 5);
        let ops = [Augmentation::Flip, Augmentation::Crop { padding: 3 }, Augmentation::Rotate { degrees: 15.0 }];
        let run = |seed: u64, data: &[f32]| {
            let mut data = data.to_vec();
            let mut rng = Rng::new(seed);
            augment(&mut data, shape, &ops, &mut rng);
            (data, rng.next_u64())
        };
        let (a, after_a) = run(9, &original);
        let (b, after_b) = run(9, &original);
        assert_eq!(a, b);
        assert_eq!(after_a, after_b);
        assert_ne!(a, original);
        let (c, _) = run(10, &original);
        assert_ne!(a, c);
        // Other pixel values, same draws.
        let (_, after_zeros) = run(9, &vec![0.0; original.len()]);
        assert_eq!(after_a, after_zeros);
    }

    #[test]
    fn parallel_and_sequential_paths_agree() {
        // 64 images of 3×32×32 take the parallel path; one image at a time takes the sequential one.
        let shape = [3, 32, 32];
        let size = 3 * 32 * 32;
        let original = batch(64, shape, 6);
        let ops = [Augmentation::Crop { padding: 4 }, Augmentation::Rotate { degrees: 30.0 }, Augmentation::Flip];
        let mut whole = original.clone();
        augment(&mut whole, shape, &ops, &mut Rng::new(12));
        // The same draws, image by image.
        let mut rng = Rng::new(12);
        let mut plans = Vec::new();
        for _ in 0..64 {
            let mut steps = Vec::new();
            draw(&ops, &mut rng, &mut steps);
            plans.push(steps);
        }
        let mut one_by_one = original.clone();
        for (image, steps) in one_by_one.chunks_mut(size).zip(&plans) {
            for step in steps {
                apply(image, &mut Vec::new(), shape, *step);
            }
        }
        assert_eq!(whole, one_by_one);
    }

    #[test]
    fn values_stay_within_the_input_range() {
        let shape = [3, 9, 11];
        let mut data = batch(40, shape, 8);
        let ops = [Augmentation::Rotate { degrees: 45.0 }, Augmentation::Crop { padding: 2 }, Augmentation::Flip];
        augment(&mut data, shape, &ops, &mut Rng::new(13));
        assert!(data.iter().all(|v| (0.0..=1.0).contains(v)), "a value left [0, 1]");
        // A constant image stays constant in the middle after a small rotation.
        let mut flat = vec![0.5f32; 9 * 9];
        let (cos, sin) = cos_sin_degrees(10.0);
        apply(&mut flat, &mut Vec::new(), [1, 9, 9], Step::Rotate { cos, sin });
        assert!((flat[4 * 9 + 4] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn a_negative_angle_rotates_as_its_magnitude() {
        let shape = [1, 6, 6];
        let original = batch(8, shape, 14);
        let rotated = |degrees: f64| {
            let mut data = original.clone();
            augment(&mut data, shape, &[Augmentation::Rotate { degrees }], &mut Rng::new(15));
            data
        };
        assert_eq!(rotated(-20.0), rotated(20.0));
        assert_ne!(rotated(20.0), original);
    }

    #[test]
    fn an_empty_batch_is_left_alone() {
        let mut empty: Vec<f32> = Vec::new();
        augment(&mut empty, [1, 2, 2], &[Augmentation::Flip], &mut Rng::new(0));
        assert!(empty.is_empty());
    }
}
