"""PS3.15 Annex E Basic Application Level Confidentiality Profile, with Clean Pixel Data and the
options the hospital chose, applied to a pydicom dataset; the dataset records what was done
(Patient Identity Removed, De-identification Method, De-identification Method Code Sequence).

The action table is Table E.1-1's for the attributes a PACS export carries; on top of it every
private element, overlay and curve group is removed, every remaining person name emptied and every
remaining instance UID replaced, so an attribute the table here does not list still cannot carry a
name, a date or a linkable UID out. UIDs are replaced by ``2.25.`` UIDs derived with a keyed hash
(the same original UID gives the same new UID, so a study's series stay together) and dates, with
the Modified Dates option, move by a per-patient offset derived the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


def _words(text: str) -> list[str]:
    return text.split()


# Actions of PS3.15 Table E.1-1 (Basic Profile column): X remove, Z empty, D dummy value, U new UID.
X, Z, D, U = "X", "Z", "D", "U"
BASIC_PROFILE: dict[str, str] = {
    **dict.fromkeys(
        _words(
            "AcquisitionComments AcquisitionDeviceProcessingDescription ActualHumanPerformersSequence "
            "AdditionalPatientHistory AdmissionID AdmittingDate AdmittingDiagnosesCodeSequence "
            "AdmittingDiagnosesDescription AdmittingTime Allergies Arbitrary AuthorObserverSequence "
            "BranchOfService CassetteID ConfidentialityConstraintOnPatientDataDescription "
            "ContentCreatorIdentificationCodeSequence ContributionDescription CountryOfResidence "
            "CurrentPatientLocation CustodialOrganizationSequence DataSetTrailingPadding "
            "DerivationDescription DetectorID DeviceSerialNumber DigitalSignaturesSequence "
            "DischargeDiagnosisDescription DistributionAddress DistributionName EthnicGroup "
            "FrameComments GantryID GeneratorID HumanPerformerName HumanPerformerOrganization "
            "IconImageSequence IdentifyingComments ImageComments ImagePresentationComments "
            "ImagingServiceRequestComments Impressions InstitutionAddress InstitutionCodeSequence "
            "InstitutionName InstitutionalDepartmentName InsurancePlanIdentification "
            "IntendedRecipientsOfResultsIdentificationSequence InterpretationApproverSequence "
            "InterpretationAuthor InterpretationDiagnosisDescription InterpretationIDIssuer "
            "InterpretationRecorder InterpretationText InterpretationTranscriber IssuerOfAdmissionID "
            "IssuerOfPatientID IssuerOfServiceEpisodeID LastMenstrualDate MAC MedicalAlerts "
            "MedicalRecordLocator MilitaryRank ModifiedAttributesSequence ModifyingDeviceID "
            "NameOfPhysiciansReadingStudy NamesOfIntendedRecipientsOfResults Occupation "
            "OperatorIdentificationSequence OperatorsName OrderCallbackPhoneNumber OrderEnteredBy "
            "OrderEntererLocation OriginalAttributesSequence OtherPatientIDs OtherPatientIDsSequence "
            "OtherPatientNames ParticipantSequence PatientAddress PatientAge PatientBirthName "
            "PatientBirthTime PatientComments PatientInsurancePlanCodeSequence PatientMotherBirthName "
            "PatientPrimaryLanguageCodeSequence PatientReligiousPreference PatientSexNeutered "
            "PatientSize PatientState PatientTelephoneNumbers PatientTransportArrangements "
            "PatientWeight PerformedLocation PerformedProcedureStepDescription "
            "PerformedProcedureStepID PerformedProcedureStepStartDate PerformedProcedureStepStartTime "
            "PerformingPhysicianIdentificationSequence PerformingPhysicianName PersonAddress "
            "PersonTelephoneNumbers PhysicianApprovingInterpretation PhysiciansOfRecord "
            "PhysiciansOfRecordIdentificationSequence PhysiciansReadingStudyIdentificationSequence "
            "PreMedication PregnancyStatus ReasonForStudy ReasonForTheImagingServiceRequest "
            "ReferencedDigitalSignatureSequence ReferencedImageSequence ReferencedPatientAliasSequence "
            "ReferencedPatientSequence ReferencedPerformedProcedureStepSequence "
            "ReferencedSOPInstanceMACSequence ReferencedStudySequence ReferringPhysicianAddress "
            "ReferringPhysicianIdentificationSequence ReferringPhysicianTelephoneNumbers "
            "RegionOfResidence RequestAttributesSequence RequestedContrastAgent "
            "RequestedProcedureComments RequestedProcedureDescription RequestedProcedureID "
            "RequestedProcedureLocation RequestingPhysician RequestingService ResponsibleOrganization "
            "ResponsiblePerson ResultsComments ResultsDistributionListSequence ResultsIDIssuer "
            "ScheduledHumanPerformersSequence ScheduledPatientInstitutionResidence "
            "ScheduledPerformingPhysicianIdentificationSequence ScheduledPerformingPhysicianName "
            "SeriesDescription ServiceEpisodeDescription ServiceEpisodeID SmokingStatus SourceImageSequence "
            "SpecialNeeds StationName StudyComments StudyDescription StudyIDIssuer TextComments "
            "TextString TimezoneOffsetFromUTC TopicAuthor TopicKeywords TopicSubject TopicTitle "
            "VerifyingOrganization VisitComments AcquisitionDateTime CurveDate CurveTime "
            "ProtocolName PerformedProcedureStepEndDate PerformedProcedureStepEndTime"
        ),
        X,
    ),
    **dict.fromkeys(
        _words(
            "AccessionNumber ContentCreatorName PatientBirthDate PatientID PatientName "
            "ReferringPhysicianName StudyID PatientSex StudyDate StudyTime ContentDate ContentTime "
            "SeriesDate SeriesTime AcquisitionDate AcquisitionTime"
        ),
        Z,
    ),
    **dict.fromkeys(
        _words("ContrastBolusAgent PersonName VerifyingObserverName GraphicAnnotationSequence"), D
    ),
    **dict.fromkeys(
        _words(
            "StudyInstanceUID SeriesInstanceUID SOPInstanceUID FrameOfReferenceUID "
            "SynchronizationFrameOfReferenceUID DeviceUID AcquisitionUID IrradiationEventUID "
            "InstanceCreatorUID StorageMediaFileSetUID ReferencedSOPInstanceUID ReferencedFrameOfReferenceUID "
            "DimensionOrganizationUID ConcatenationUID"
        ),
        U,
    ),
}

# Kept by the Retain Patient Characteristics Option (PatientAge as an age band, see _age_band).
PATIENT_CHARACTERISTICS = ("PatientSex", "PatientAge", "PatientSize", "PatientWeight")
# UIDs that name a kind of thing (a SOP class, a transfer syntax, a coding scheme), not a patient.
_CLASS_UIDS = frozenset(
    {
        "SOPClassUID",
        "ReferencedSOPClassUID",
        "MediaStorageSOPClassUID",
        "TransferSyntaxUID",
        "ImplementationClassUID",
        "CodingSchemeUID",
        "ContextGroupExtensionCreatorUID",
        "MappingResourceUID",
        "ReferencedTransferSyntaxUID",
    }
)

BASIC = ("113100", "Basic Application Confidentiality Profile")
CLEAN_PIXEL = ("113101", "Clean Pixel Data Option")
LONGITUDINAL_MODIFIED = ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")
PATIENT_CHARACTERISTICS_OPTION = ("113108", "Retain Patient Characteristics Option")

PLAIN_WORDS: dict[str, str] = {
    BASIC[0]: (
        "Names, identifiers, addresses, institution and staff names, free-text comments and "
        "private tags were removed from the DICOM header (DICOM PS3.15 basic profile); "
        "study, series and image identifiers were replaced."
    ),
    CLEAN_PIXEL[0]: "Text burned into the pixels was found and covered on every frame.",
    LONGITUDINAL_MODIFIED[0]: (
        "Dates were moved by the same hidden number of days for this patient, so intervals "
        "between studies stay true; times of day were kept."
    ),
    PATIENT_CHARACTERISTICS_OPTION[0]: (
        "Sex, height, weight and an age band (in ten-year steps, 90 and over as one band) were kept."
    ),
}
_NO_DATES = "Dates and times were removed."
_NO_CHARACTERISTICS = "Sex, age, height and weight were removed."


@dataclass(frozen=True)
class ProfileOptions:
    retain_longitudinal_modified_dates: bool = True
    retain_patient_characteristics: bool = True


@dataclass(frozen=True)
class DeidentificationRecord:
    """What was done, as codes (CID 7050) and as sentences for the case and review pages."""

    method: str
    codes: tuple[tuple[str, str], ...]
    plain_words: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "patient_identity_removed": "YES",
            "method": self.method,
            "codes": [{"code": code, "meaning": meaning, "scheme": "DCM"} for code, meaning in self.codes],
            "plain_words": list(self.plain_words),
        }


def record_for(options: ProfileOptions) -> DeidentificationRecord:
    codes = [BASIC, CLEAN_PIXEL]
    words = [PLAIN_WORDS[BASIC[0]], PLAIN_WORDS[CLEAN_PIXEL[0]]]
    if options.retain_longitudinal_modified_dates:
        codes.append(LONGITUDINAL_MODIFIED)
        words.append(PLAIN_WORDS[LONGITUDINAL_MODIFIED[0]])
    else:
        words.append(_NO_DATES)
    if options.retain_patient_characteristics:
        codes.append(PATIENT_CHARACTERISTICS_OPTION)
        words.append(PLAIN_WORDS[PATIENT_CHARACTERISTICS_OPTION[0]])
    else:
        words.append(_NO_CHARACTERISTICS)
    method = "DICOM PS3.15 Annex E: " + "; ".join(meaning for _, meaning in codes) + " (fediverse-cases)"
    return DeidentificationRecord(method=method, codes=tuple(codes), plain_words=tuple(words))


def new_uid(secret: bytes, uid: str) -> str:
    """A 2.25 UID (PS3.5 B.2) from a keyed hash: the same original UID always maps the same way."""
    digest = hmac.new(secret, b"uid:" + uid.encode("ascii", "replace"), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def date_shift_days(secret: bytes, patient_key: str) -> int:
    """Days to move this patient's dates back: 1..3650, fixed per patient and per instance key."""
    digest = hmac.new(secret, b"dates:" + patient_key.encode("utf-8", "replace"), hashlib.sha256).digest()
    return 1 + int.from_bytes(digest[:4], "big") % 3650


def apply_profile(
    ds: Any,
    options: ProfileOptions,
    *,
    secret: bytes,
    patient_key: str,
    clean_boxes: Sequence[tuple[int, int, int, int]],
) -> DeidentificationRecord:
    """De-identify ``ds`` in place (header and pixels) and record what was done in it."""
    from pydicom.dataset import Dataset  # lazy: pydicom is heavy (see deidentify/dicom.py)
    from pydicom.uid import ExplicitVRLittleEndian

    clean_pixels(ds, clean_boxes)
    shift = date_shift_days(secret, patient_key) if options.retain_longitudinal_modified_dates else None
    age = _age_band(str(ds.get("PatientAge", "") or "")) if options.retain_patient_characteristics else ""
    _clean(ds, options, secret, shift)
    if options.retain_patient_characteristics and age:
        ds.PatientAge = age
    record = record_for(options)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = record.method[:64]  # LO: 64 characters; the codes say the rest
    items = []
    for code, meaning in record.codes:
        item = Dataset()
        item.CodeValue = code
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = items
    ds.LongitudinalTemporalInformationModified = "MODIFIED" if shift is not None else "REMOVED"
    ds.BurnedInAnnotation = "NO"
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        meta.TransferSyntaxUID = meta.get("TransferSyntaxUID", ExplicitVRLittleEndian)
        for keyword in (
            "SourceApplicationEntityTitle",
            "SendingApplicationEntityTitle",
            "PrivateInformation",
        ):
            if keyword in meta:
                delattr(meta, keyword)
    return record


def _clean(ds: Any, options: ProfileOptions, secret: bytes, shift: int | None) -> None:
    ds.remove_private_tags()
    for elem in list(ds):
        group = elem.tag.group
        if 0x5000 <= group <= 0x501E or 0x6000 <= group <= 0x601E:  # curves and overlays
            del ds[elem.tag]
    for elem in list(ds):
        keyword = elem.keyword
        if options.retain_patient_characteristics and keyword in PATIENT_CHARACTERISTICS:
            continue
        action = BASIC_PROFILE.get(keyword)
        if action == X:
            del ds[elem.tag]
        elif action == Z:
            if shift is not None and elem.VR in ("DA", "DT") and elem.value:
                elem.value = _shift(elem.VR, str(elem.value), shift)
            elif shift is not None and elem.VR == "TM":
                continue  # Modified Dates keeps times of day
            else:
                elem.value = ""
        elif action == D:
            _dummy(elem)
        elif action == U:
            _replace_uids(elem, secret)
        else:
            _generic(ds, elem, options, secret, shift)


def _generic(ds: Any, elem: Any, options: ProfileOptions, secret: bytes, shift: int | None) -> None:
    """Attributes the table does not name: nothing that could identify leaves through them."""
    if elem.VR == "SQ":
        for item in elem.value:
            _clean(item, options, secret, shift)
    elif elem.VR == "PN":
        elem.value = ""
    elif elem.VR in ("DA", "DT"):
        if shift is None or not elem.value:
            elem.value = ""
        else:
            elem.value = _shift(elem.VR, str(elem.value), shift)
    elif elem.VR == "TM" and shift is None:
        elem.value = ""
    elif elem.VR == "UI" and elem.keyword not in _CLASS_UIDS and elem.value:
        _replace_uids(elem, secret)


def _dummy(elem: Any) -> None:
    if elem.VR == "SQ":
        elem.value = []
    elif elem.VR == "PN":
        elem.value = "ANONYMOUS"
    else:
        elem.value = "REMOVED" if elem.VR in ("LO", "SH", "LT", "ST", "UT") else ""


def _replace_uids(elem: Any, secret: bytes) -> None:
    if elem.VR != "UI" or not elem.value:
        return
    if elem.VM > 1:
        elem.value = [new_uid(secret, str(uid)) for uid in elem.value]
    else:
        elem.value = new_uid(secret, str(elem.value))


def _shift(vr: str, value: str, days: int) -> str:
    text = value.strip()
    try:
        moved = date(int(text[0:4]), int(text[4:6]), int(text[6:8])) - timedelta(days=days)
    except (ValueError, IndexError):
        return ""
    return moved.strftime("%Y%m%d") + (text[8:] if vr == "DT" else "")


def _age_band(age: str) -> str:
    """PatientAge (nnnD/W/M/Y) as the lower bound of its ten-year band; 90 and over as 090Y."""
    age = age.strip().upper()
    if len(age) != 4 or not age[:3].isdigit() or age[3] not in "DWMY":
        return ""
    years = int(age[:3]) if age[3] == "Y" else 0
    return f"{min(years // 10 * 10, 90):03d}Y"


def clean_pixels(ds: Any, boxes: Sequence[tuple[int, int, int, int]]) -> None:
    """Cover ``boxes`` (x0, y0, x1, y1 in pixel coordinates) on every frame, then store the pixels
    uncompressed (the compressed original is never edited in place)."""
    from pydicom.pixels import pixel_array
    from pydicom.uid import ExplicitVRLittleEndian

    arr = pixel_array(ds).copy()
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    rows, cols = int(ds.Rows), int(ds.Columns)
    fill = _black(ds)
    for x0, y0, x1, y1 in boxes:
        x0, x1 = max(0, min(cols, x0)), max(0, min(cols, x1))
        y0, y1 = max(0, min(rows, y0)), max(0, min(rows, y1))
        if x1 <= x0 or y1 <= y0:
            continue
        if frames > 1:
            arr[:, y0:y1, x0:x1, ...] = fill
        else:
            arr[y0:y1, x0:x1, ...] = fill
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if arr.ndim == (4 if frames > 1 else 3):
        photometric = "RGB"  # pydicom's decoders hand colour back as RGB
    _set_pixels(ds, arr, photometric, ExplicitVRLittleEndian)


def _black(ds: Any) -> int:
    """The stored value that displays black whatever the window: the range's end, not the image's
    own minimum (an image with no dark pixel would be "covered" with its own grey)."""
    bits = int(ds.get("BitsStored", 8) or 8)
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    return high if str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1" else low


def _set_pixels(ds: Any, arr: Any, photometric: str, syntax: str) -> None:
    bits = int(ds.get("BitsStored", 8) or 8)
    ds.set_pixel_data(
        arr, photometric_interpretation=photometric, bits_stored=bits, generate_instance_uid=False
    )
    ds.file_meta.TransferSyntaxUID = syntax


def covering_boxes(report: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    """The text regions the engine covered on the key frame, from its JSON report."""
    boxes: list[tuple[int, int, int, int]] = []
    for finding in report.get("text_regions", []):
        if finding.get("covered"):
            boxes.append(_box(finding["box"]))
    boxes.extend(_box(box) for box in report.get("manual_regions", []))
    return boxes


def _box(raw: dict[str, Any]) -> tuple[int, int, int, int]:
    x, y, w, h = (round(float(raw[key])) for key in ("x", "y", "w", "h"))
    return (x, y, x + w, y + h)
