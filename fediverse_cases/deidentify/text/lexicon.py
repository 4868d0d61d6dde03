"""Word lists the detectors consult: people's names, ordinary words, and clinical vocabulary.

The name lists are Philter's (philter-lite ships them in ``filters/set.toml``): about 97,000 first
names and 161,000 surnames from census and international sources, and 195,000 ordinary English and
medical words that are not names. The clinical safelist here adds what a name list cannot know:
eponyms (Parkinson, Graves, Crohn) are surnames too, so they are vetoed as names unless something
else (a title, "his daughter") says a person is meant. Everything loads lazily, once per process.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class NameLists:
    first: frozenset[str]
    last: frozenset[str]
    ordinary: frozenset[str]  # Philter's "nonames": dictionary and medical words

    def is_name(self, word: str) -> bool:
        return word in self.first or word in self.last


def words(text: str) -> frozenset[str]:
    """A word set written as one string, as lists of words read best."""
    return frozenset(text.split())


@functools.cache
def name_lists() -> NameLists:
    """Philter's lists, lower-case. The file is three ``key = [ "a", "b", ... ]`` lines; splitting
    them directly is about five times faster than a TOML parser on its 5.5 MB."""
    # Locate the data without importing philter_lite: its __init__ imports nltk (seconds).
    spec = importlib.util.find_spec("philter_lite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("philter-lite is not installed; it ships the name lists")
    source = Path(next(iter(spec.submodule_search_locations))) / "filters" / "set.toml"
    lists: dict[str, frozenset[str]] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        key, sep, rest = line.partition(" = ")
        if sep:
            words = rest.replace('"', "").replace(" ", "").strip("[]").split(",")
            lists[key.strip()] = frozenset(words) - {""}
    # Philter counts a few very common given names as ordinary words (Hail Mary, St Mary's);
    # in a comment about a patient they are names.
    ordinary = lists["nonames"] - _GIVEN_NAMES_NOT_ORDINARY
    return NameLists(first=lists["firstnames"], last=lists["lastnames"], ordinary=ordinary)


_GIVEN_NAMES_NOT_ORDINARY = words(
    "mary ali owen ned ada ann anne john james david peter paul joseph maria jane tom tim ben sam "
    "dan jack joe bob ted jim rob meg amy kim eve ian lee roy tony ahmed bilal mohamed jacob gillian "
    "sandra glenn irving humphrey lennox jude zoran rupinder masako blair brady crawford davies "
    "gardner miller moore pratt watts waddell conway curran hoffman"
)

# Function words and pronouns: never a name on their own, whatever the lists say ("Will", "May").
STOPWORDS = words(
    """a an the and or but nor so yet if then than that this these those there here where when while
    who whom whose which what why how is are was were be been being am do does did done have has had
    having will would shall should can could may might must not no yes of in on at by for with from
    to into onto upon over under above below between among through during before after since until
    about against along around across behind beyond near off out up down as per via i me my mine we
    us our ours you your yours he him his she her hers it its they them their theirs one ones other
    another each every all any both few many more most much some such same own very too also just
    only even still again ever never always often sometimes now today tonight yesterday tomorrow
    mr mrs ms miss mx dr prof sir madam please thanks thank hi hello dear regards best cheers ok okay
    left right bilateral anterior posterior superior inferior medial lateral proximal distal"""
)

# Eponyms and clinical proper nouns that are also in the name lists. Vetoed as a bare name; the
# context rules (title, relative, "named") still flag them, so "Mr Parkinson" is caught.
EPONYMS = words(
    """parkinson parkinsons graves crohn crohns hashimoto cushing cushings bell down guillain barre barré
    addison alzheimer alzheimers huntington hodgkin hodgkins kaposi wilms ewing burkitt paget raynaud
    sjogren sjögren kawasaki marfan klinefelter tourette asperger bowen dupuytren meniere ménière
    osgood schlatter perthes legg calve calvé whipple wegener takayasu behcet behçet reiter kienbock
    kienböck bartholin barrett bouchard heberden sequard séquard budd chiari charcot creutzfeldt jakob
    dandy fallot ebstein eisenmenger epstein fanconi friedreich gaucher gilbert goodpasture
    hirschsprung horner hurler kallmann kussmaul lyme mallory meckel munchausen niemann peyronie
    pott prader willi reye rett riedel sachs wernicke korsakoff zollinger ellison colles galeazzi
    monteggia lisfranc chopart maisonneuve segond bankart glasgow apgar gleason ranson killip
    mallampati breslow bosniak karnofsky rockall blatchford alvarado centor caprini braden waterlow
    barthel rankin folstein cobb hounsfield fitzpatrick framingham balthazar maddrey lille forrest
    siewert borrmann dukes nottingham fuhrman masaoka binet durie enneking pfannenstiel kocher
    mcburney rovsing trendelenburg babinski romberg hoffmann lhermitte kernig brudzinski tinel
    phalen finkelstein lachman mcmurray homans chvostek trousseau virchow kehr cheyne stokes duroziez
    quincke corrigan musset osler janeway argyll adie broca willis sylvius monro luschka magendie
    eustachian fallopian achilles cowper skene glisson calot treitz oddi vater wirsung santorini
    meissner auerbach peyer brunner kupffer langerhans langhans purkinje schwann ranvier golgi betz
    sertoli leydig sternberg  heinz auer leyden curschmann councilman lewy hirano negri
    ziehl neelsen giemsa papanicolaou masson gieson congo perls grocott warthin heimlich valsalva
    seldinger swan ganz foley hickman groshong epley hallpike nissen roux billroth schilling
    coombs wolff ehlers danlos peutz jeghers henoch schönlein schonlein sturge kasabach merritt
    klippel trenaunay  bell's pancoast krukenberg kerley
    virchow's cheyne-stokes charcot-marie-tooth wolff-parkinson-white pugh child hippel lindau
    waldenström waldenstrom wernicke's tietze tzanck wickham ziehl-neelsen mantoux heaf schatzki
    zenker mirizzi boerhaave ogilvie gerota morison poupart hesselbach scarpa
    frankfort lugano ann arbor durie-salmon hunt-hess child-pugh"""
)

# Nouns that follow an eponym: "Bell's palsy", "Jones fracture", "Wells score". A capitalised
# word directly before one of these (optionally with 's) is an eponym, not a person.
EPONYM_HEADS = words(
    """disease diseases syndrome syndromes sign signs palsy phenomenon test tests score scores scale
    scales criteria criterion classification grade grades grading stage stages staging index fracture
    fractures reflex reflexes lymphoma sarcoma tumour tumor tumours tumors node nodes cyst cysts ulcer
    ulcers maneuver manoeuvre procedure operation incision catheter tube triad pentad tetrad law level
    levels canal duct gland glands area aphasia encephalopathy ring sac space pouch fascia ligament
    body bodies cell cells stain staining angle point position repair technique method rule rules
    equation formula effect reaction nodules nodule spots spot lesion lesions lines triangle cycle
    loop nucleus zone capsule membrane valve fossa foramen sinus ampulla sphincter plexus anomaly
    malformation deformity contracture thyroiditis arteritis disorder dystrophy ataxia chorea anemia
    anaemia dementia hernia diverticulum vaccine agar solution bundle block wave waves murmur pulse
    respiration breathing granulomatosis purpura esophagus oesophagus gangrene neuroma neuralgia
    keratosis dermatitis nephritis hepatitis meningitis encephalitis myopathy neuropathy arthritis
    tendon tendonitis tendinitis retractor forceps clamp needle mask pattern protocol regimen
    approach view views projection incidence classification system grip fold folds crypt crypts
    column columns organ organs islets islet corpuscle corpuscles fibres fibers tract tracts
    compression dissection resection appendix pancreas gap gaps ring rings classification criteria
    nodule nodules tumour tumours tract maneuvre manoeuvres sign test rule rules phenomenon pupil
    sulcus chart guideline guidelines virus tear fracture-dislocation pupils toxin bacillus"""
)

# "circle of Willis", "pouch of Douglas", "tetralogy of Fallot": an anatomical noun and "of".
EPONYM_OF_HEADS = words(
    """circle ampulla pouch sphincter organ islets islet tetralogy loop canal ligament space foramen
    angle tail crypts column duct triangle node bundle sign law line lines nucleus body bodies
    membrane fissure sinus aqueduct gland glands plexus fibres fibers cells cell"""
)

# Capitalised words that often follow a relative or a title without being a name.
NOT_NAME_AFTER_CONTEXT = words(
    """presented presents is was has had with underwent reported reports denies developed received
    history complained consent education care safety information transport position positioning
    status details name id also who which that had has is was were died passed lives lived brought
    noticed said says asked called rang phoned visited"""
)

MONTHS = words(
    """january february march april may june july august september october november december jan feb
    mar apr jun jul aug sep sept oct nov dec"""
)
WEEKDAYS = words("monday tuesday wednesday thursday friday saturday sunday")

# Continents, large countries and regions: bigger than a state, so not identifiers, and often
# missing from the ordinary-word list ("endemic in Asia", "travel to Africa").
REGIONS = words(
    """africa asia europe america americas antarctica oceania australia arctic caribbean
    scandinavia mediterranean balkans sahara siberia china india japan korea vietnam thailand
    indonesia malaysia philippines pakistan bangladesh nepal afghanistan iran iraq syria turkey
    israel egypt morocco algeria tunisia libya nigeria ghana kenya uganda tanzania ethiopia somalia
    sudan congo zambia zimbabwe mozambique angola namibia botswana cameroon senegal mali niger
    brazil argentina chile peru colombia venezuela bolivia ecuador mexico canada cuba haiti jamaica
    russia ukraine poland germany france spain portugal italy greece netherlands belgium austria
    switzerland sweden norway denmark finland iceland ireland scotland wales england britain
    hungary romania bulgaria serbia croatia czechia slovakia lithuania latvia estonia
    zealand arabia yemen oman qatar kuwait jordan lebanon"""
)
