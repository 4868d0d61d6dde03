"""Split a multi-frame instance into single-frame PS3.10 files, so the de-identification engine
(which renders one frame per file) can look for burned-in text on every frame."""

from __future__ import annotations

import io


def single_frames(data: bytes) -> list[bytes]:
    import pydicom  # lazy: see deidentify/dicom.py
    from pydicom.pixels import pixel_array
    from pydicom.uid import ExplicitVRLittleEndian

    ds = pydicom.dcmread(io.BytesIO(data))
    count = int(ds.get("NumberOfFrames", 1) or 1)
    if count <= 1:
        return [data]
    frames = pixel_array(ds)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if frames.ndim == 4:
        photometric = "RGB"  # pydicom's decoders hand colour back as RGB
    bits = int(ds.get("BitsStored", 8) or 8)
    out = []
    for frame in frames:
        single = ds.copy()
        for keyword in ("PerFrameFunctionalGroupsSequence", "FrameIncrementPointer"):
            if keyword in single:
                delattr(single, keyword)
        single.set_pixel_data(
            frame, photometric_interpretation=photometric, bits_stored=bits, generate_instance_uid=False
        )
        single.NumberOfFrames = 1
        single.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        buffer = io.BytesIO()
        single.save_as(buffer, enforce_file_format=True)
        out.append(buffer.getvalue())
    return out
