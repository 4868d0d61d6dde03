"""Synthetic de-identification corpus with ground truth (used by bench/deidentify.py and tests).

Every generator is deterministic for a given seed. Images carry planted metadata (EXIF with GPS,
serials, dates and MakerNote; XMP; IPTC; JPEG comments; PNG text chunks; ICC profiles; trailing
bytes), burned-in fake PHI (names, MRNs, dates, phone numbers) at varied sizes, positions, angles and
contrasts on photo-like and radiograph-like backgrounds, PHI-free images, and real faces
(``skimage.data.astronaut()``). Nothing here is real patient data.
"""

from __future__ import annotations

import io
import random
import struct
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, PngImagePlugin

FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)

FIRST = ("John", "Maria", "Ahmed", "Chen", "Olga", "Peter", "Fatima", "Lucas", "Ingrid", "Samuel")
LAST = ("Smith", "Garcia", "Okafor", "Novak", "Lindqvist", "Tanaka", "Moreau", "Kowalski", "Haddad", "Brown")

XMP_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Dr Jane Planted"'
    b' dc:description="Patient John Planted MRN 99887766"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
SECRET = "Planted"  # appears in every planted metadata value; must never survive


@dataclass
class PlantedText:
    text: str
    box: tuple[int, int, int, int]  # x, y, w, h in the upright image
    is_phi: bool = True


@dataclass
class Sample:
    name: str
    data: bytes
    filename: str
    kind: str  # "metadata", "text", "phi_free", "face", "dicom", "photo12mp"
    texts: list[PlantedText] = field(default_factory=list)
    faces: list[tuple[int, int, int, int]] = field(default_factory=list)
    upright_size: tuple[int, int] | None = None


# --- fonts, strings, backgrounds ------------------------------------------------------------------


@lru_cache(maxsize=64)
def font(size: int, index: int = 0) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_FILES[index:] + FONT_FILES[:index]:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def fake_phi(rng: random.Random) -> list[str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    mrn = f"MRN {rng.randrange(10**7, 10**8)}"
    dob = f"DOB {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1930, 2005)}"
    phone = f"Tel ({rng.randint(200, 989)}) {rng.randint(200, 989)}-{rng.randint(1000, 9999)}"
    return [name, mrn, dob, phone]


def photo_background(width: int, height: int, seed: int) -> Image.Image:
    """Smooth colour gradients, soft blobs and sensor-like noise: photographic, text-free."""
    rng = np.random.default_rng(seed)
    sw, sh = max(8, width // 16), max(8, height // 16)
    base = rng.uniform(40, 215, size=(4, 4, 3)).astype(np.float32)
    small = Image.fromarray(base.astype(np.uint8), "RGB").resize((sw, sh), Image.Resampling.BICUBIC)
    img = small.resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        r = int(rng.uniform(0.05, 0.2) * min(width, height))
        cx, cy = int(rng.uniform(0, width)), int(rng.uniform(0, height))
        colour = tuple(int(v) for v in rng.uniform(30, 230, 3))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(radius=max(2, min(width, height) // 150)))
    arr = np.asarray(img).astype(np.int16)
    noise = rng.normal(0, 4, size=(height, width, 1)).astype(np.int16)
    return Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8), "RGB")


def radiograph_background(width: int, height: int, seed: int) -> Image.Image:
    """Dark field, bright overlapping bone-like ellipses, soft tissue haze, quantum noise (grey)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    arr = np.full((height, width), 20.0, dtype=np.float32)
    cx, cy = width / 2, height / 2
    arr += 70 * np.exp(-(((xx - cx) / (0.35 * width)) ** 2 + ((yy - cy) / (0.45 * height)) ** 2))
    for _ in range(5):
        ex, ey = rng.uniform(0.25, 0.75) * width, rng.uniform(0.15, 0.85) * height
        ax, ay = rng.uniform(0.03, 0.08) * width, rng.uniform(0.15, 0.3) * height
        arr += 90 * (((xx - ex) / ax) ** 2 + ((yy - ey) / ay) ** 2 < 1)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    img = img.filter(ImageFilter.GaussianBlur(radius=max(2, min(width, height) // 200)))
    noisy = np.asarray(img).astype(np.float32) + rng.normal(0, 5, size=(height, width))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "L")


def plant_text(
    img: Image.Image,
    text: str,
    xy: tuple[int, int],
    size: int,
    angle: float = 0.0,
    *,
    contrast: int = 200,
    font_index: int = 0,
    box_behind: bool = False,
) -> tuple[int, int, int, int]:
    """Draw ``text`` rotated by ``angle`` degrees at ``xy``; returns its bounding box (x, y, w, h)."""
    f = font(size, font_index)
    left, top, right, bottom = f.getbbox(text)
    pad = max(2, size // 4)
    tw, th = right - left + 2 * pad, bottom - top + 2 * pad
    x, y = xy
    region = img.crop((x, y, x + tw, y + th)).convert("L")
    local = float(np.asarray(region).mean()) if region.width and region.height else 128.0
    ink = int(np.clip(local + contrast if local < 128 else local - contrast, 0, 255))
    layer = Image.new("L", (tw, th), 0)
    ImageDraw.Draw(layer).text((pad - left, pad - top), text, fill=255, font=f)
    colour_layer = Image.new(img.mode, (tw, th), ink if img.mode == "L" else (ink, ink, ink))
    if box_behind:
        back = 255 - ink
        ImageDraw.Draw(img).rectangle((x, y, x + tw, y + th), fill=back if img.mode == "L" else (back,) * 3)
    if angle:
        layer = layer.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
        colour_layer = colour_layer.resize(layer.size)
    img.paste(colour_layer, (x, y), layer)
    bbox = layer.getbbox() or (0, 0, layer.width, layer.height)
    return (x + bbox[0], y + bbox[1], bbox[2] - bbox[0], bbox[3] - bbox[1])


def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut(), "RGB")


ASTRONAUT_FACE = (178, 59, 90, 116)  # measured once; a human-checked box around her face


# --- metadata planting ----------------------------------------------------------------------------


def exif_bytes(orientation: int = 1, with_thumbnail: bool = True) -> bytes:
    import piexif

    thumb = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(thumb, "JPEG")
    exif = {
        "0th": {
            piexif.ImageIFD.Make: b"PlantedCam",
            piexif.ImageIFD.Model: b"Planted 3000",
            piexif.ImageIFD.Orientation: orientation,
            piexif.ImageIFD.ImageDescription: b"Patient John Planted MRN 12345678",
            piexif.ImageIFD.Artist: b"Dr Planted",
            piexif.ImageIFD.DateTime: b"2021:03:14 09:26:53",
        },
        "Exif": {
            piexif.ExifIFD.DateTimeOriginal: b"2021:03:14 09:26:53",
            piexif.ExifIFD.BodySerialNumber: b"SN-Planted-0042",
            piexif.ExifIFD.LensSerialNumber: b"LENS-Planted-7",
            piexif.ExifIFD.MakerNote: b"PlantedMakerNote serial 123456",
            piexif.ExifIFD.UserComment: b"ASCII\0\0\0Planted comment",
        },
        "GPS": {
            piexif.GPSIFD.GPSLatitudeRef: b"N",
            piexif.GPSIFD.GPSLatitude: ((42, 1), (21, 1), (3000, 100)),
            piexif.GPSIFD.GPSLongitudeRef: b"W",
            piexif.GPSIFD.GPSLongitude: ((71, 1), (3, 1), (4000, 100)),
        },
        "1st": {piexif.ImageIFD.Compression: 6} if with_thumbnail else {},
        "thumbnail": thumb.getvalue() if with_thumbnail else None,
    }
    return piexif.dump(exif)


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_everything(img: Image.Image, orientation: int = 1) -> bytes:
    buf = io.BytesIO()
    img.save(
        buf,
        "JPEG",
        quality=90,
        exif=exif_bytes(orientation),
        icc_profile=_icc(),
        comment=b"Patient: John Planted, MRN 12345678",
    )
    data = buf.getvalue()
    xmp = _jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP_PACKET)
    iim = b"\x1c\x02\x05" + struct.pack(">H", 13) + b"Planted Title"
    irb = b"8BIM\x04\x04\0\0" + struct.pack(">I", len(iim)) + iim + (b"\0" if len(iim) % 2 else b"")
    iptc = _jpeg_segment(0xED, b"Photoshop 3.0\0" + irb)
    return data[:2] + xmp + iptc + data[2:] + b"TRAILING Planted secret bytes"


def png_with_everything(img: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Dr Planted")
    info.add_text("Comment", "Patient John Planted MRN 12345678", zip=True)
    info.add_itxt("Description", "Planted description", lang="en")
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode("utf-8"))
    buf = io.BytesIO()
    img.save(buf, "PNG", pnginfo=info, exif=exif_bytes(), icc_profile=_icc())
    return buf.getvalue() + b"TRAILING Planted"


def webp_with_everything(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=90, exif=exif_bytes(), xmp=XMP_PACKET, icc_profile=_icc())
    return buf.getvalue()


def tiff_with_everything(img: Image.Image) -> bytes:
    from PIL import TiffImagePlugin

    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[270] = "Patient John Planted MRN 12345678"
    ifd[271] = "PlantedCam"
    ifd[305] = "Planted Software"
    ifd[306] = "2021:03:14 09:26:53"
    ifd[315] = "Dr Planted"
    ifd[33432] = "Planted Hospital"
    buf = io.BytesIO()
    img.save(buf, "TIFF", tiffinfo=ifd, compression="tiff_lzw")
    return buf.getvalue()


def heic_with_everything(img: Image.Image) -> bytes:
    import pillow_heif

    heif = pillow_heif.from_pillow(img)
    buf = io.BytesIO()
    heif.save(buf, quality=80, exif=exif_bytes(with_thumbnail=False), xmp=XMP_PACKET)
    return buf.getvalue()


ENCODERS = {
    "jpeg": (jpeg_with_everything, ".jpg"),
    "png": (png_with_everything, ".png"),
    "webp": (webp_with_everything, ".webp"),
    "tiff": (tiff_with_everything, ".tif"),
    "heic": (heic_with_everything, ".heic"),
}


# --- sample sets ----------------------------------------------------------------------------------


def text_image(seed: int, width: int, height: int, radiograph: bool) -> tuple[Image.Image, list[PlantedText]]:
    """A background with 4 planted PHI strings and, half the time, an allow-listed marker."""
    rng = random.Random(seed)
    img = radiograph_background(width, height, seed) if radiograph else photo_background(width, height, seed)
    planted: list[PlantedText] = []
    occupied: list[tuple[int, int, int, int]] = []
    short = min(width, height)
    for text in fake_phi(rng):
        size = max(12, int(short * rng.uniform(0.018, 0.05)))
        angle = rng.choice((0, 0, 0, rng.uniform(-12, 12), 90))
        contrast = rng.choice((200, 140, 90))
        for _ in range(30):
            x = rng.randint(0, max(0, width - size * len(text)))
            y = rng.randint(0, max(0, height - size * (len(text) if angle == 90 else 2)))
            est = (x, y, size * len(text), size * (len(text) if angle == 90 else 2))
            if not any(_overlap(est, o) for o in occupied):
                break
        box = plant_text(
            img,
            text,
            (x, y),
            size,
            angle,
            contrast=contrast,
            font_index=rng.randrange(5),
            box_behind=rng.random() < 0.2,
        )
        occupied.append(box)
        planted.append(PlantedText(text, box))
    if rng.random() < 0.5:
        marker = rng.choice(("L", "R", "AP", "PA"))
        size = max(16, int(short * 0.05))
        box = plant_text(img, marker, (int(width * 0.9), int(height * 0.04)), size, contrast=220)
        planted.append(PlantedText(marker, box, is_phi=False))
    return img, planted


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return not (a[0] + a[2] < b[0] or b[0] + b[2] < a[0] or a[1] + a[3] < b[1] or b[1] + b[3] < a[1])


def metadata_samples() -> list[Sample]:
    out = []
    for i, (fmt, (encoder, ext)) in enumerate(ENCODERS.items()):
        img = photo_background(640, 480, 100 + i)
        out.append(Sample(f"meta_{fmt}", encoder(img), f"meta_{fmt}{ext}", "metadata", upright_size=img.size))
    for orientation in (3, 6, 8):
        stored = astronaut()
        out.append(
            Sample(
                f"meta_orient{orientation}",
                jpeg_with_everything(stored, orientation),
                f"orient{orientation}.jpg",
                "metadata",
            )
        )
    return out


def text_samples(count: int = 24, seed: int = 7) -> list[Sample]:
    out = []
    sizes = ((800, 600), (1024, 1024), (1600, 1200), (2000, 1600), (640, 800))
    for i in range(count):
        w, h = sizes[i % len(sizes)]
        radiograph = i % 2 == 1
        img, planted = text_image(seed * 1000 + i, w, h, radiograph)
        fmt = ("png", "jpeg", "webp", "tiff")[i % 4]
        encoder, ext = ENCODERS[fmt]
        out.append(
            Sample(
                f"text_{i:02d}",
                encoder(img),
                f"text_{i:02d}{ext}",
                "text",
                texts=planted,
                upright_size=img.size,
            )
        )
    return out


def phi_free_samples() -> list[Sample]:
    from skimage import data

    out = []
    for i in range(4):
        img = photo_background(1200, 900, 500 + i)
        out.append(Sample(f"free_photo_{i}", _jpeg(img), f"free_photo_{i}.jpg", "phi_free"))
        xr = radiograph_background(1000, 1200, 600 + i)
        out.append(Sample(f"free_xray_{i}", _png(xr), f"free_xray_{i}.png", "phi_free"))
    for name in ("coffee", "chelsea", "rocket", "coins", "immunohistochemistry", "hubble_deep_field"):
        arr = getattr(data, name)()
        img = Image.fromarray(arr)
        out.append(Sample(f"free_{name}", _jpeg(img.convert("RGB")), f"{name}.jpg", "phi_free"))
    return out


def face_samples() -> list[Sample]:
    out = []
    face = astronaut()
    fx, fy, fw, fh = ASTRONAUT_FACE
    for rotation in (0, 90, 270):
        img = face.rotate(rotation, expand=True)
        box = _rotate_box(ASTRONAUT_FACE, rotation, face.width, face.height)
        out.append(Sample(f"face_rot{rotation}", _jpeg(img), f"face_rot{rotation}.jpg", "face", faces=[box]))
    # Stored sideways with an EXIF orientation tag: the engine must rotate first, then find her.
    stored = face.transpose(Image.Transpose.ROTATE_90)  # orientation 6 means "rotate 90 cw to view"
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif_bytes(orientation=6, with_thumbnail=False))
    out.append(Sample("face_exif6", buf.getvalue(), "face_exif6.jpg", "face", faces=[(fx, fy, fw, fh)]))
    _ = (fx, fy, fw, fh)
    return out


def _rotate_box(
    box: tuple[int, int, int, int], rotation: int, width: int, height: int
) -> tuple[int, int, int, int]:
    """Where ``box`` lands after ``Image.rotate(rotation, expand=True)`` (counter-clockwise)."""
    x, y, w, h = box
    if rotation == 0:
        return box
    if rotation == 90:
        return (y, width - x - w, h, w)
    if rotation == 270:
        return (height - y - h, x, h, w)
    return (width - x - w, height - y - h, w, h)


DICOM_FILES = (
    "CT_small.dcm",
    "MR_small.dcm",
    "examples_overlay.dcm",
    "examples_palette.dcm",
    "examples_rgb_color.dcm",
    "examples_ybr_color.dcm",
    "SC_rgb_rle_2frame.dcm",
    "JPEG2000.dcm",
    "rtdose.dcm",
)


def dicom_file(name: str) -> bytes:
    """A test file shipped inside the pydicom wheel (read from disk: get_testdata_file may download)."""
    import os

    import pydicom.data

    with open(os.path.join(os.path.dirname(pydicom.data.__file__), "test_files", name), "rb") as fh:
        return fh.read()


def dicom_samples() -> list[Sample]:
    return [Sample(f"dicom_{name}", dicom_file(name), name, "dicom") for name in DICOM_FILES]


def photo_12mp_samples(count: int = 6, seed: int = 900) -> list[Sample]:
    """4000x3000 photo-like images with a pasted face, four large burned-in PHI strings and one small
    (28-48 px, wristband-sized) label: timing and recall at 12 MP."""
    out = []
    face = astronaut()
    for i in range(count):
        rng = random.Random(seed + i)
        img = photo_background(4000, 3000, seed + i)
        scale = rng.uniform(1.5, 3.0)
        big = face.resize((int(512 * scale), int(512 * scale)), Image.Resampling.BICUBIC)
        px, py = rng.randint(0, 4000 - big.width), rng.randint(0, 3000 - big.height)
        img.paste(big, (px, py))
        fx, fy, fw, fh = ASTRONAUT_FACE
        faces = [(px + int(fx * scale), py + int(fy * scale), int(fw * scale), int(fh * scale))]
        planted = []
        occupied = [(px, py, big.width, big.height)]
        small_label = f"ID {rng.randrange(10**7, 10**8)} {rng.choice(LAST)}"  # wristband-sized
        for k, text in enumerate([*fake_phi(rng), small_label]):
            size = rng.randint(60, 140) if k < 4 else rng.randint(28, 48)
            for _ in range(50):
                x, y = rng.randint(0, 4000 - size * len(text) // 2 - 10), rng.randint(0, 3000 - size * 2)
                if not any(_overlap((x, y, size * len(text) // 2, size * 2), o) for o in occupied):
                    break
            box = plant_text(img, text, (x, y), size, rng.choice((0, 0, rng.uniform(-10, 10))), contrast=180)
            occupied.append(box)
            planted.append(PlantedText(text, box))
        out.append(
            Sample(
                f"photo12mp_{i}",
                _jpeg(img, exif=exif_bytes()),
                f"photo12mp_{i}.jpg",
                "photo12mp",
                texts=planted,
                faces=faces,
                upright_size=img.size,
            )
        )
    return out


def _jpeg(img: Image.Image, exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    if exif:
        img.save(buf, "JPEG", quality=92, exif=exif)
    else:
        img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


# --- the harder corpus (issue 17): images made unlike the engine's own ------------------------------
#
# Each generator returns one Sample of kind "hard" and a ``cls`` name the bench reports per class.
# Label strings are fake but shaped like the real ones (NHS number, exam number, referrer, phone).

HOSPITALS = ("St Planted Hospital", "Northgate General", "Royal Elmsworth Infirmary", "Kingsbury Clinic")


def label_block(rng: random.Random) -> list[str]:
    """The lines of a printed film label: name, NHS number, DOB, exam number, hospital, referrer,
    phone, study date."""
    nhs = f"{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return [
        f"{rng.choice(LAST).upper()}, {rng.choice(FIRST)}",
        f"NHS No {nhs}",
        f"DOB {rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1930, 2005)}",
        f"Exam {rng.randrange(10**6, 10**7)}",
        rng.choice(HOSPITALS),
        f"Ref Dr {rng.choice(LAST)}",
        f"Tel 0{rng.randint(1000, 1999)} {rng.randint(100000, 999999)}",
        f"Study {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2015, 2025)}",
    ]


def _plant_block(
    img: Image.Image, lines: list[str], xy: tuple[int, int], size: int, contrast: int, **kw
) -> list[PlantedText]:
    out = []
    x, y = xy
    for line in lines:
        box = plant_text(img, line, (x, y), size, contrast=contrast, **kw)
        out.append(PlantedText(line, box))
        y += int(size * 1.45)
    return out


def _soft_tissue_radiograph(width: int, height: int, seed: int) -> Image.Image:
    """A radiograph whose label corner lies over mid-grey soft tissue (not black air)."""
    img = radiograph_background(width, height, seed)
    arr = np.asarray(img).astype(np.float32)
    arr = 0.5 * arr + 70  # lift the air to soft-tissue grey: grey-on-grey labels
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")


def faint_label_radiograph(seed: int) -> tuple[Sample, str]:
    """A whole label block printed grey-on-grey at 15-40 grey levels over soft tissue."""
    rng = random.Random(seed)
    w, h = rng.choice(((1400, 1700), (1700, 1400), (1200, 1500)))
    img = _soft_tissue_radiograph(w, h, seed)
    size = rng.randint(15, 22)
    contrast = rng.choice((15, 20, 25, 30, 40))
    planted = _plant_block(
        img, label_block(rng)[:6], (rng.randint(20, 60), rng.randint(20, 60)), size, contrast
    )
    return Sample(f"faint_{seed}", _png(img), f"faint_{seed}.png", "hard", texts=planted), "faint_grey_label"


def faint_dark_label_radiograph(seed: int) -> tuple[Sample, str]:
    """A dark label (a grey-black sticker or printed band over air) whose small print is only
    15-25 grey levels lighter than it: light-on-dark at low contrast. The detector, trained mostly
    on dark print on light paper, sees these lines only in the inverted contrast-normalised
    rendering (text_passes.PASS_INVERTED)."""
    rng = random.Random(seed)
    w, h = rng.choice(((1400, 1700), (1700, 1400)))
    img = radiograph_background(w, h, seed)
    size = rng.randint(14, 16)
    contrast = rng.choice((15, 20, 25))
    lines = label_block(rng)[:6]
    x0, y0 = rng.randint(20, 60), rng.randint(20, 60)
    label_w = max(corpus_text_width(line, size) for line in lines) + 2 * size
    label_h = int(size * 1.45 * len(lines)) + size
    dark = rng.randint(35, 60)
    prng = np.random.default_rng(seed)
    patch = np.clip(dark + prng.normal(0, 2, (label_h, label_w)), 0, 255).astype(np.uint8)
    img.paste(Image.fromarray(patch, "L"), (x0 - size // 2, y0 - size // 2))
    planted = _plant_block(img, lines, (x0, y0), size, contrast)
    sample = Sample(f"faint_dark_{seed}", _png(img), f"faint_dark_{seed}.png", "hard", texts=planted)
    return sample, "faint_light_on_dark_label"


def corpus_text_width(text: str, size: int) -> int:
    left, _, right, _ = font(size).getbbox(text)
    return right - left


def thermal_label_radiograph(seed: int) -> tuple[Sample, str]:
    """A thermal-printed label (off-white sticker, dotty faded print, blur sigma 1-3)."""
    rng = random.Random(seed)
    w, h = 1500, 1800
    img = radiograph_background(w, h, seed)
    sticker_w, size = rng.randint(420, 520), rng.randint(18, 24)
    lines = label_block(rng)[:5]
    sticker_h = int(size * 1.45 * len(lines)) + 30
    sx, sy = rng.randint(30, w - sticker_w - 30), rng.choice((30, h - sticker_h - 30))
    sticker = Image.new("L", (sticker_w, sticker_h), 226)
    ink = Image.new("L", (sticker_w, sticker_h), 0)
    planted_local = _plant_block(ink, lines, (14, 14), size, contrast=255, font_index=2)
    prng = np.random.default_rng(seed)
    ink_arr = np.asarray(ink).astype(np.float32) / 255.0
    # Thermal print: dots drop out along the head's lines and the whole print fades.
    ink_arr *= prng.uniform(0.45, 1.0, size=ink_arr.shape) * (prng.random(ink_arr.shape) > 0.25)
    ink_arr *= (0.75 + 0.25 * (np.arange(sticker_h) % 3 != 0))[:, None]
    sigma = rng.choice((1.5, 2.0, 2.5, 3.0))
    ink_img = Image.fromarray((ink_arr * 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(sigma))
    fade = rng.uniform(0.45, 0.7)  # dark grey, not black, print
    arr = np.asarray(sticker).astype(np.float32) - fade * 200.0 * np.asarray(ink_img) / 255.0
    arr += prng.normal(0, 3, size=arr.shape)
    img.paste(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L"), (sx, sy))
    planted = [PlantedText(p.text, (p.box[0] + sx, p.box[1] + sy, p.box[2], p.box[3])) for p in planted_local]
    sample = Sample(
        f"thermal_{seed}", _jpeg(img.convert("RGB")), f"thermal_{seed}.jpg", "hard", texts=planted
    )
    return sample, "thermal_blurred_label"


def rotated_text_image(seed: int) -> tuple[Sample, str]:
    """Labels at 90, 180, 270 degrees and small angles on a radiograph."""
    rng = random.Random(seed)
    img = radiograph_background(1400, 1400, seed)
    lines = label_block(rng)
    planted = []
    spots = ((60, 200, 90), (1250, 200, 270), (300, 80, 180), (300, 1250, 0), (500, 600, 7), (500, 900, -9))
    for (x, y, angle), text in zip(spots, lines, strict=False):
        box = plant_text(img, text, (x, y), rng.randint(26, 34), angle, contrast=rng.choice((90, 160)))
        planted.append(PlantedText(text, box))
    return Sample(f"rotated_{seed}", _png(img), f"rotated_{seed}.png", "hard", texts=planted), "rotated_text"


def ecg_printout(seed: int, with_header: bool = True) -> tuple[Sample, str]:
    """A 12-lead-style ECG printout: pink grid, black traces, a header of patient text and
    annotations along the bottom (speed and gain). The traces and grid must stay."""
    rng = random.Random(seed)
    prng = np.random.default_rng(seed)
    w, h = 2200, 1700
    arr = np.full((h, w, 3), (252, 246, 244), dtype=np.uint8)
    for x in range(0, w, 10):
        arr[:, x] = (246, 200, 200) if x % 50 else (236, 150, 150)
    for y in range(0, h, 10):
        arr[y, :] = (246, 200, 200) if y % 50 else (236, 150, 150)
    img = Image.fromarray(arr, "RGB")
    draw = ImageDraw.Draw(img)
    for row in range(4):
        base = 420 + row * 300
        xs = np.arange(60, w - 60)
        beat = np.zeros_like(xs, dtype=np.float32)
        period = rng.randint(160, 220)
        phase = (xs - 60) % period
        beat += 90 * np.exp(-(((phase - 40) / 5.0) ** 2)) - 25 * np.exp(-(((phase - 50) / 6.0) ** 2))
        beat += 18 * np.exp(-(((phase - 110) / 18.0) ** 2)) + prng.normal(0, 1.2, len(xs))
        draw.line(
            list(zip(xs.tolist(), (base - beat).astype(int).tolist(), strict=True)), fill=(0, 0, 0), width=3
        )
    planted: list[PlantedText] = []
    if with_header:
        lines = label_block(rng)
        planted += _plant_block(img, [lines[0], lines[1], lines[2]], (60, 40), 34, contrast=230)
        planted += _plant_block(img, [lines[4], lines[5], lines[7]], (1100, 40), 34, contrast=230)
    planted.append(PlantedText("25 mm/s", plant_text(img, "25 mm/s", (60, h - 90), 30, contrast=230)))
    planted.append(PlantedText("10 mm/mV", plant_text(img, "10 mm/mV", (400, h - 90), 30, contrast=230)))
    name = f"ecg_{seed}" if with_header else f"ecg_noheader_{seed}"
    return Sample(name, _png(img), f"{name}.png", "hard", texts=planted), "ecg_printout"


def photographed_form(seed: int) -> tuple[Sample, str]:
    """A paper form photographed on a desk: slight rotation, uneven light, lines of handwriting-size
    print with field labels and patient values."""
    rng = random.Random(seed)
    W, H = 2400, 1800
    page = Image.new("RGB", (1500, 1400), (240, 238, 230))
    lines = label_block(rng)
    planted_local = []
    y = 60
    for label, value in zip(
        ("Patient", "NHS", "Born", "Exam", "Site", "Referrer", "Phone", "Date"), lines, strict=True
    ):
        plant_text(page, f"{label}:", (60, y), 30, contrast=200)
        box = plant_text(
            page, value, (330, y), 32, contrast=rng.choice((120, 170)), font_index=rng.randrange(5)
        )
        planted_local.append(PlantedText(value, box))
        ImageDraw.Draw(page).line((55, y + 52, 1440, y + 52), fill=(150, 150, 150), width=2)
        y += 110
    angle = rng.uniform(-4, 4)
    mask = Image.new("L", page.size, 255)
    page_r = page.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    mask_r = mask.rotate(angle, expand=True)
    img = photo_background(W, H, seed)
    ox, oy = (W - page_r.width) // 2, (H - page_r.height) // 2
    img.paste(page_r, (ox, oy), mask_r)
    shade = np.linspace(0.8, 1.05, W, dtype=np.float32)[None, :, None]
    img = Image.fromarray(np.clip(np.asarray(img) * shade, 0, 255).astype(np.uint8), "RGB")
    planted = [
        PlantedText(p.text, _rotate_point_box(p.box, angle, page.size, page_r.size, (ox, oy)))
        for p in planted_local
    ]
    return Sample(f"form_{seed}", _jpeg(img), f"form_{seed}.jpg", "hard", texts=planted), "photographed_form"


def _rotate_point_box(box, angle, size, rsize, offset) -> tuple[int, int, int, int]:
    """Where ``box`` lands after ``Image.rotate(angle, expand=True)`` and a paste at ``offset``."""
    import math

    x, y, w, h = box
    cx, cy = size[0] / 2, size[1] / 2
    rcx, rcy = rsize[0] / 2, rsize[1] / 2
    a = math.radians(angle)
    pts = []
    for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        dx, dy = px - cx, py - cy
        pts.append((rcx + dx * math.cos(a) + dy * math.sin(a), rcy - dx * math.sin(a) + dy * math.cos(a)))
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (
        int(min(xs)) + offset[0],
        int(min(ys)) + offset[1],
        int(max(xs) - min(xs)),
        int(max(ys) - min(ys)),
    )


def _dicom_bytes(pixels: np.ndarray, **attrs) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Planted^Patient"
    ds.PatientID = "Planted0001"
    ds.Modality = attrs.pop("Modality", "CR")
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.SamplesPerPixel = 1
    ds.PixelRepresentation = 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def dicom_16bit_burned(seed: int) -> tuple[Sample, str]:
    """A 12-bit-in-16 radiograph whose header window clips the label, burned in at the maximum value
    over bright bone (one linear window shows bone and text as the same white)."""
    rng = random.Random(seed)
    base = np.asarray(_soft_tissue_radiograph(1200, 1400, seed)).astype(np.float32) * 12.0 + 300.0
    txt = Image.new("L", (1200, 1400), 0)
    planted = _plant_block(txt, label_block(rng)[:4], (40, 40), 28, contrast=255)
    arr = base.copy()
    arr[300:, 350:850] = np.maximum(arr[300:, 350:850], 3600.0)  # bright bone under part of the view
    # The overlay value: the stored maximum, or just above the brightest anatomy.
    arr[np.asarray(txt) > 128] = 4095.0 if rng.random() < 0.5 else 3800.0
    pixels = np.clip(arr, 0, 4095).astype(np.uint16)
    data = _dicom_bytes(
        pixels,
        BitsAllocated=16,
        BitsStored=12,
        HighBit=11,
        PhotometricInterpretation="MONOCHROME2",
        WindowCenter=1500,
        WindowWidth=2200,
    )
    return Sample(f"dicom16_{seed}", data, f"dicom16_{seed}.dcm", "hard", texts=planted), "dicom_16bit"


def dicom_palette_burned(seed: int) -> tuple[Sample, str]:
    """A palette-colour DICOM (8-bit indices into a colour LUT) with text burned in at an index of
    its own (a pale annotation colour over a colour ramp that runs through similar colours)."""
    rng = random.Random(seed)
    prng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:900, 0:1200]
    idx = (60 + 80 * np.sin(xx / 90.0) * np.cos(yy / 70.0) + prng.normal(0, 3, (900, 1200))).astype(np.int32)
    txt = Image.new("L", (1200, 900), 0)
    planted = _plant_block(txt, label_block(rng)[:4], (40, 30), 28, contrast=255)
    idx = np.clip(idx, 0, 199)
    idx[np.asarray(txt) > 128] = 250  # the LUT maps 250 to a colour close to mid-range
    lut = np.zeros((3, 256), dtype=np.uint16)
    ramp = np.linspace(0, 65535, 200)
    lut[0, :200], lut[1, :200], lut[2, :200] = ramp, ramp[::-1], ramp * 0.5
    lut[:, 200:] = np.array([[62000], [60000], [30000]])  # pale yellow annotation colour
    data = _dicom_bytes(
        idx.astype(np.uint8),
        Modality="OT",
        BitsAllocated=8,
        BitsStored=8,
        HighBit=7,
        PhotometricInterpretation="PALETTE COLOR",
        RedPaletteColorLookupTableDescriptor=[256, 0, 16],
        GreenPaletteColorLookupTableDescriptor=[256, 0, 16],
        BluePaletteColorLookupTableDescriptor=[256, 0, 16],
        RedPaletteColorLookupTableData=lut[0].tobytes(),
        GreenPaletteColorLookupTableData=lut[1].tobytes(),
        BluePaletteColorLookupTableData=lut[2].tobytes(),
    )
    return Sample(f"palette_{seed}", data, f"palette_{seed}.dcm", "hard", texts=planted), "dicom_palette"


def ruler_photo(seed: int) -> tuple[Sample, str]:
    """A PHI-free clinical photo with a ruler (ticks and numbers) and a scale bar: must be kept."""
    rng = random.Random(seed)
    img = photo_background(1600, 1200, seed)
    draw = ImageDraw.Draw(img)
    y0 = 1040
    draw.rectangle((100, y0, 1500, y0 + 110), fill=(235, 230, 200))
    for i in range(0, 141):
        x = 110 + i * 9.5
        length = 50 if i % 10 == 0 else (32 if i % 5 == 0 else 20)
        draw.line((x, y0, x, y0 + length), fill=(20, 20, 20), width=2)
        if i % 10 == 0 and i < 140:
            draw.text((x + 3, y0 + 56), str(i // 10), fill=(20, 20, 20), font=font(26))
    draw.rectangle((1300, 80, 1500, 92), fill=(250, 250, 250))
    draw.text((1360, 100), "1 cm", fill=(250, 250, 250), font=font(30))
    _ = rng
    return Sample(f"ruler_{seed}", _jpeg(img), f"ruler_{seed}.jpg", "phi_free"), "phi_free_ruler_photo"


def radiograph_16bit_free(seed: int) -> tuple[Sample, str]:
    """A PHI-free 16-bit greyscale radiograph PNG (wide range, quantum noise)."""
    base = np.asarray(radiograph_background(1400, 1700, seed)).astype(np.float32) * 200.0 + 1000.0
    noise = np.random.default_rng(seed).normal(0, 150, base.shape)
    arr = np.clip(base + noise, 0, 65535).astype(np.uint16)
    img = Image.fromarray(arr)  # uint16 -> mode "I;16"
    return Sample(f"free16_{seed}", _png(img), f"free16_{seed}.png", "phi_free"), "phi_free_16bit_radiograph"


def histology_free() -> tuple[Sample, str]:
    from skimage import data

    img = Image.fromarray(data.immunohistochemistry()).resize((1536, 1536), Image.Resampling.BICUBIC)
    return Sample("histology", _jpeg(img), "histology.jpg", "phi_free"), "phi_free_histology"


def hard_samples(per_class: int = 2, seed: int = 1700) -> list[tuple[Sample, str]]:
    """The harder corpus: ``per_class`` images of every class (fewer for a quick run)."""
    out: list[tuple[Sample, str]] = []
    for i in range(per_class):
        s = seed + i
        out += [
            faint_label_radiograph(s),
            faint_dark_label_radiograph(s),
            thermal_label_radiograph(s),
            rotated_text_image(s),
            ecg_printout(s),
            photographed_form(s),
            dicom_16bit_burned(s),
            dicom_palette_burned(s),
            ruler_photo(s),
            radiograph_16bit_free(s),
        ]
    out.append(histology_free())
    out.append(ecg_printout(seed, with_header=False))
    return out
