"""The GDPR information notice (Art. 13 and 14) the platform serves (Art. 28 of the
cooperation agreement of 31 January 2025), in French, Dutch, German and English.

Structured data: a title, an introduction and the same sections in every language, each
with a stable ``id``, a ``title`` and ``paragraphs``, so a page or an API renders it and a
test can check that the languages say the same things. Articles ("Art. N") are those of
the cooperation agreement unless the GDPR is named. Keep the four versions in step: a
paragraph added in one language is added in all.
"""

from __future__ import annotations

import copy
from typing import Any

from guichet_retention.rights import LANGUAGES, RightsError

__all__ = ["LANGUAGES", "SECTION_IDS", "notice"]

SECTION_IDS: tuple[str, ...] = (
    "controllers",
    "purposes",
    "legal_basis",
    "data_and_sources",
    "recipients",
    "retention",
    "rights",
    "complaint",
)


def _section(section_id: str, title: str, *paragraphs: str) -> dict[str, Any]:
    return {"id": section_id, "title": title, "paragraphs": list(paragraphs)}


_FR: dict[str, Any] = {
    "language": "fr",
    "title": "Protection de vos données à caractère personnel",
    "introduction": (
        "Ces informations vous sont fournies en application des articles 13 et 14 du "
        "règlement général sur la protection des données (RGPD) et de l'article 28 de "
        "l'accord de coopération du 31 janvier 2025 relatif au guichet unique pour les "
        "travailleurs étrangers. Sauf mention du RGPD, les articles cités sont ceux de cet "
        "accord."
    ),
    "sections": [
        _section(
            "controllers",
            "Qui est responsable de vos données",
            "Pour l'examen d'une demande d'autorisation de travail ou d'autorisation d'exercer "
            "une activité professionnelle indépendante (carte professionnelle), le responsable "
            "du traitement est l'autorité régionale compétente : la Région flamande, la Région "
            "wallonne, la Région de Bruxelles-Capitale ou la Communauté germanophone, selon le "
            "lieu de travail (art. 7).",
            "Pour l'examen d'une demande d'autorisation de séjour, le responsable du traitement "
            "est l'Office des étrangers (art. 7). L'Office des étrangers et les autorités "
            "régionales sont responsables conjoints du traitement pour la plateforme "
            "électronique (art. 7 ; article 26 du RGPD).",
            "L'Office national de sécurité sociale (ONSS) est le sous-traitant : il développe, "
            "fait fonctionner et entretient la plateforme pour le compte des responsables du "
            "traitement (art. 8).",
        ),
        _section(
            "purposes",
            "Pourquoi vos données sont traitées",
            "Vos données sont traitées pour : remplir les obligations européennes de la "
            "Belgique en matière de migration économique ; enregistrer les demandes de permis "
            "unique, d'autorisation de travail et de carte professionnelle ; permettre "
            "l'échange de données, de documents et de décisions entre les services compétents "
            "; traiter les demandes de séjour à des fins de travail de plus de 90 jours (permis "
            "unique, carte bleue européenne, travailleur saisonnier, transfert temporaire "
            "intragroupe, chercheur, stagiaire, volontaire et leur mobilité de longue durée) "
            "(art. 10, 1° à 4°).",
            "Elles servent aussi à partager les communications et notifications avec les "
            "travailleurs, les employeurs, les indépendants et leurs mandataires ; à assurer le "
            "suivi du séjour et du travail ou de l'activité indépendante ; au contrôle et à la "
            "surveillance par les services d'inspection et à la prévention, la constatation, "
            "la poursuite et la répression des infractions à la réglementation sociale ; et à "
            "communiquer les décisions de retrait du permis unique aux services publics de "
            "l'emploi afin qu'ils vous aident à trouver un autre emploi (art. 10, 5° à 9°).",
        ),
        _section(
            "legal_basis",
            "Sur quelle base juridique",
            "Le traitement est nécessaire au respect d'une obligation légale à laquelle les "
            "responsables du traitement sont soumis (article 6, paragraphe 1er, point c), du "
            "RGPD ; art. 9) : l'accord de coopération du 31 janvier 2025, l'accord de "
            "coopération du 2 février 2018 relatif au permis unique et les législations sur "
            "le séjour et l'occupation des travailleurs étrangers qu'il cite.",
            "Les données de santé (certificat médical) ne sont traitées que dans les conditions "
            "de l'article 9 du RGPD et ne sont accessibles qu'aux catégories de personnes "
            "désignées (art. 15 et 16) ; les données relatives aux condamnations pénales ne "
            "sont traitées que par l'Office des étrangers pour les travailleurs salariés et par "
            "les autorités régionales pour les indépendants (art. 17).",
        ),
        _section(
            "data_and_sources",
            "Quelles données et d'où elles viennent",
            "La plateforme conserve les données d'identification et de contact (art. 12), les "
            "données relatives à l'emploi ou à l'activité indépendante (art. 13), le certificat "
            "médical (art. 15), l'extrait de casier judiciaire (art. 17) et les données "
            "administratives : paiement de la redevance et décisions prises (art. 18). Les "
            "autorités n'accèdent qu'aux données nécessaires à leurs tâches (art. 11).",
            "Ces données proviennent de vous, de votre employeur ou de votre mandataire. "
            "L'ONSS fournit en outre les données de rémunération et d'emploi issues de la "
            "déclaration immédiate de l'emploi (DIMONA), de LIMOSA et de la déclaration "
            "multifonctionnelle (DmfA) (art. 14, §1er) ; l'INASTI fournit les données du "
            "répertoire général des travailleurs indépendants et de LIMOSA pour les cartes "
            "professionnelles (art. 14, §2).",
        ),
        _section(
            "recipients",
            "Qui reçoit vos données",
            "Les autorités qui examinent votre demande (l'Office des étrangers et les autorités "
            "régionales), chacune pour ce qui relève de sa compétence ; l'autorité régionale "
            "territorialement compétente peut consulter la demande introduite auprès d'une "
            "autre région et les décisions de celle-ci (art. 26).",
            "Les postes diplomatiques belges reçoivent les décisions d'autorisation lorsque "
            "vous demandez un visa de long séjour, et l'administration communale lorsque vous "
            "demandez un document de séjour temporaire dans l'attente du permis unique (art. 21 "
            "à 23). Les services d'inspection sociale ont accès au dossier et aux décisions "
            "régionales utiles au contrôle de la législation dont ils sont chargés (art. 25). "
            "Les services publics de l'emploi (VDAB, Le Forem, Actiris, ADG) reçoivent les "
            "décisions de retrait du permis unique (art. 10, 9°).",
            "Lorsqu'une décision négative est prise, les autres autorités sont seulement "
            "informées qu'elle l'a été : la décision intégrale et ses motifs ne sont notifiés "
            "qu'à vous (art. 24).",
        ),
        _section(
            "retention",
            "Combien de temps vos données sont conservées",
            "Chaque dossier est conservé sur la plateforme pendant 10 ans à compter de "
            "l'introduction de la demande lorsque les autorisations de séjour et de travail sont "
            "accordées, et pendant 5 ans à compter de la notification d'une décision de refus, "
            "de fin ou de retrait (art. 27, §1er, 1° et 2°).",
            "Il n'est en aucun cas supprimé avant un an après la prescription de toutes les "
            "actions relevant des responsables du traitement et, le cas échéant, la cessation "
            "définitive des procédures et recours administratifs : un recours pendant retarde "
            "la suppression (art. 27, §1er, 3°). À l'expiration de cette période, le dossier "
            "est supprimé automatiquement de la plateforme (art. 27, §2).",
        ),
        _section(
            "rights",
            "Vos droits et comment les exercer",
            "Vous disposez des droits prévus aux articles 15 à 21 du RGPD (art. 29, §1er) : "
            "droit d'accès à vos données, y compris une copie de tout ce que la plateforme "
            "conserve à votre sujet dans un format lisible par machine ; droit de "
            "rectification ; droit à l'effacement lorsqu'il est applicable ; droit à la "
            "limitation du traitement ; droit d'opposition.",
            "Vous exercez ces droits sur cette plateforme, dans votre espace personnel : "
            "choisissez le droit et la partie de la procédure concernée. Votre demande est "
            "transmise au responsable du traitement concerné : l'autorité régionale pour le "
            "travail et la carte professionnelle, l'Office des étrangers pour le séjour (art. "
            "29, §2 et §3).",
            "Un accusé de réception daté vous est délivré dès la réception de votre demande "
            "(art. 29, §4). Le responsable du traitement y répond dans un délai d'un mois à "
            "compter de sa réception (article 12, paragraphe 3, du RGPD) ; l'échéance est "
            "affichée avec votre demande et toute demande restée sans réponse à l'échéance est "
            "signalée comme en retard.",
            "Le responsable du traitement décide de la suite à donner. S'il ne donne pas suite "
            "à votre demande, il vous en indique les motifs (article 12, paragraphe 4, du "
            "RGPD). Un effacement accordé entraîne la suppression du dossier de la plateforme.",
        ),
        _section(
            "complaint",
            "Introduire une plainte",
            "Vous avez le droit d'introduire une réclamation auprès de l'autorité de contrôle, "
            "l'Autorité de protection des données (APD), rue de la Presse 35, 1000 Bruxelles, "
            "contact@apd-gba.be, www.autoriteprotectiondonnees.be (article 77 du RGPD).",
            "Vous pouvez aussi former un recours juridictionnel contre le responsable du "
            "traitement ou le sous-traitant (article 79 du RGPD).",
        ),
    ],
}

_NL: dict[str, Any] = {
    "language": "nl",
    "title": "Bescherming van uw persoonsgegevens",
    "introduction": (
        "Deze informatie wordt u verstrekt met toepassing van de artikelen 13 en 14 van de "
        "Algemene verordening gegevensbescherming (AVG) en van artikel 28 van het "
        "samenwerkingsakkoord van 31 januari 2025 betreffende het uniek loket voor "
        "buitenlandse werknemers. Tenzij de AVG vermeld wordt, zijn de aangehaalde artikelen "
        "die van dat akkoord."
    ),
    "sections": [
        _section(
            "controllers",
            "Wie is verantwoordelijk voor uw gegevens",
            "Voor het onderzoek van een aanvraag voor een toelating tot arbeid of een toelating "
            "tot een zelfstandige beroepsactiviteit (beroepskaart) is de bevoegde regionale "
            "overheid de verwerkingsverantwoordelijke: het Vlaams Gewest, het Waals Gewest, het "
            "Brussels Hoofdstedelijk Gewest of de Duitstalige Gemeenschap, naargelang van de "
            "plaats van tewerkstelling (art. 7).",
            "Voor het onderzoek van een aanvraag voor een machtiging tot verblijf is de Dienst "
            "Vreemdelingenzaken de verwerkingsverantwoordelijke (art. 7). De Dienst "
            "Vreemdelingenzaken en de regionale overheden zijn gezamenlijke "
            "verwerkingsverantwoordelijken voor het elektronisch platform (art. 7; artikel 26 "
            "AVG).",
            "De Rijksdienst voor Sociale Zekerheid (RSZ) is de verwerker: hij ontwikkelt, "
            "exploiteert en onderhoudt het platform voor rekening van de "
            "verwerkingsverantwoordelijken (art. 8).",
        ),
        _section(
            "purposes",
            "Waarom uw gegevens verwerkt worden",
            "Uw gegevens worden verwerkt om: de Europese verplichtingen van België op het "
            "gebied van economische migratie te vervullen; de aanvragen voor een "
            "gecombineerde vergunning, een arbeidsvergunning en een beroepskaart te "
            "registreren; de uitwisseling van gegevens, documenten en beslissingen tussen de "
            "bevoegde diensten mogelijk te maken; de verblijfsaanvragen met het oog op werk "
            "van meer dan 90 dagen te verwerken (gecombineerde vergunning, Europese blauwe "
            "kaart, seizoenarbeider, binnen een onderneming overgeplaatste persoon, "
            "onderzoeker, stagiair, vrijwilliger en hun langetermijnmobiliteit) (art. 10, 1° "
            "tot 4°).",
            "Ze dienen ook om de mededelingen en kennisgevingen te delen met de werknemers, de "
            "werkgevers, de zelfstandigen en hun mandatarissen; het verblijf en het werk of de "
            "zelfstandige activiteit op te volgen; voor controle en toezicht door de "
            "inspectiediensten en de preventie, vaststelling, vervolging en bestraffing van "
            "inbreuken op de sociale reglementering; en om de beslissingen tot intrekking van "
            "de gecombineerde vergunning mee te delen aan de openbare diensten voor "
            "arbeidsbemiddeling, zodat zij u naar een andere betrekking kunnen begeleiden "
            "(art. 10, 5° tot 9°).",
        ),
        _section(
            "legal_basis",
            "Op welke rechtsgrond",
            "De verwerking is noodzakelijk om te voldoen aan een wettelijke verplichting die op "
            "de verwerkingsverantwoordelijken rust (artikel 6, lid 1, punt c), AVG; art. 9): "
            "het samenwerkingsakkoord van 31 januari 2025, het samenwerkingsakkoord van 2 "
            "februari 2018 over de gecombineerde vergunning en de wetgeving over het verblijf "
            "en de tewerkstelling van buitenlandse werknemers die het vermeldt.",
            "Gezondheidsgegevens (medisch attest) worden enkel verwerkt onder de voorwaarden van "
            "artikel 9 AVG en zijn enkel toegankelijk voor de aangewezen categorieën van "
            "personen (art. 15 en 16); gegevens over strafrechtelijke veroordelingen worden "
            "enkel verwerkt door de Dienst Vreemdelingenzaken voor werknemers en door de "
            "regionale overheden voor zelfstandigen (art. 17).",
        ),
        _section(
            "data_and_sources",
            "Welke gegevens en waar ze vandaan komen",
            "Het platform bewaart identificatie- en contactgegevens (art. 12), gegevens over de "
            "tewerkstelling of de zelfstandige activiteit (art. 13), het medisch attest (art. "
            "15), het uittreksel uit het strafregister (art. 17) en administratieve gegevens: "
            "betaling van de retributie en genomen beslissingen (art. 18). De overheden hebben "
            "enkel toegang tot de gegevens die hun taken vereisen (art. 11).",
            "Deze gegevens komen van u, van uw werkgever of van uw mandataris. De RSZ levert "
            "bovendien loon- en tewerkstellingsgegevens uit de onmiddellijke aangifte van "
            "tewerkstelling (DIMONA), LIMOSA en de multifunctionele aangifte (DmfA) (art. 14, "
            "§1); het RSVZ levert gegevens uit het algemeen repertorium van de zelfstandigen "
            "en uit LIMOSA voor beroepskaarten (art. 14, §2).",
        ),
        _section(
            "recipients",
            "Wie uw gegevens ontvangt",
            "De overheden die uw aanvraag onderzoeken (de Dienst Vreemdelingenzaken en de "
            "regionale overheden), elk voor wat onder zijn bevoegdheid valt; de territoriaal "
            "bevoegde regionale overheid kan de bij een andere regionale overheid ingediende "
            "aanvraag en haar beslissingen raadplegen (art. 26).",
            "De Belgische diplomatieke posten ontvangen de beslissingen tot machtiging wanneer "
            "u een visum lang verblijf aanvraagt, en het gemeentebestuur wanneer u een "
            "voorlopig verblijfsdocument aanvraagt in afwachting van de gecombineerde "
            "vergunning (art. 21 tot 23). De sociale inspectiediensten hebben toegang tot het "
            "dossier en de regionale beslissingen die nuttig zijn voor de controle op de "
            "wetgeving waarmee ze belast zijn (art. 25). De openbare diensten voor "
            "arbeidsbemiddeling (VDAB, Le Forem, Actiris, ADG) ontvangen de beslissingen tot "
            "intrekking van de gecombineerde vergunning (art. 10, 9°).",
            "Wanneer een negatieve beslissing genomen wordt, worden de andere overheden enkel "
            "geïnformeerd dat ze genomen werd: de integrale beslissing en haar motieven worden "
            "enkel aan u ter kennis gebracht (art. 24).",
        ),
        _section(
            "retention",
            "Hoe lang uw gegevens bewaard worden",
            "Elk dossier wordt op het platform bewaard gedurende 10 jaar vanaf de indiening van "
            "de aanvraag wanneer de machtigingen tot verblijf en tot arbeid toegekend zijn, en "
            "gedurende 5 jaar vanaf de kennisgeving van een beslissing tot weigering, "
            "beëindiging of intrekking (art. 27, §1, 1° en 2°).",
            "Het wordt in geen geval verwijderd vóór een jaar na de verjaring van alle acties "
            "die onder de bevoegdheid van de verwerkingsverantwoordelijken vallen en, in "
            "voorkomend geval, de definitieve stopzetting van de administratieve procedures en "
            "beroepen: een hangend beroep houdt de verwijdering tegen (art. 27, §1, 3°). Na "
            "afloop van die periode wordt het dossier automatisch van het platform verwijderd "
            "(art. 27, §2).",
        ),
        _section(
            "rights",
            "Uw rechten en hoe u ze uitoefent",
            "U beschikt over de rechten van de artikelen 15 tot en met 21 AVG (art. 29, §1): "
            "recht op inzage in uw gegevens, met inbegrip van een kopie van alles wat het "
            "platform over u bewaart in een machineleesbaar formaat; recht op rectificatie; "
            "recht op gegevenswissing wanneer het van toepassing is; recht op beperking van de "
            "verwerking; recht van bezwaar.",
            "U oefent deze rechten uit op dit platform, in uw persoonlijke ruimte: kies het "
            "recht en het betrokken deel van de procedure. Uw aanvraag wordt doorgestuurd naar "
            "de betrokken verwerkingsverantwoordelijke: de regionale overheid voor arbeid en de "
            "beroepskaart, de Dienst Vreemdelingenzaken voor het verblijf (art. 29, §2 en §3).",
            "U krijgt een gedateerd ontvangstbewijs zodra uw aanvraag ontvangen is (art. 29, "
            "§4). De verwerkingsverantwoordelijke antwoordt binnen een maand na de ontvangst "
            "ervan (artikel 12, lid 3, AVG); de uiterste datum wordt bij uw aanvraag getoond en "
            "een aanvraag die op die datum nog niet beantwoord is, wordt als laattijdig "
            "gemarkeerd.",
            "De verwerkingsverantwoordelijke beslist over het gevolg. Geeft hij geen gevolg aan "
            "uw aanvraag, dan deelt hij u de redenen mee (artikel 12, lid 4, AVG). Een "
            "toegekende gegevenswissing leidt tot de verwijdering van het dossier van het "
            "platform.",
        ),
        _section(
            "complaint",
            "Een klacht indienen",
            "U hebt het recht een klacht in te dienen bij de toezichthoudende autoriteit, de "
            "Gegevensbeschermingsautoriteit (GBA), Drukpersstraat 35, 1000 Brussel, "
            "contact@apd-gba.be, www.gegevensbeschermingsautoriteit.be (artikel 77 AVG).",
            "U kunt ook een beroep instellen bij de rechter tegen de verwerkingsverantwoordelijke "
            "of de verwerker (artikel 79 AVG).",
        ),
    ],
}

_DE: dict[str, Any] = {
    "language": "de",
    "title": "Schutz Ihrer personenbezogenen Daten",
    "introduction": (
        "Diese Informationen erhalten Sie gemäß den Artikeln 13 und 14 der "
        "Datenschutz-Grundverordnung (DSGVO) und Artikel 28 des Zusammenarbeitsabkommens vom "
        "31. Januar 2025 über den einheitlichen Schalter für ausländische Arbeitnehmer. Wenn "
        "nicht die DSGVO genannt wird, sind die angeführten Artikel die dieses Abkommens."
    ),
    "sections": [
        _section(
            "controllers",
            "Wer für Ihre Daten verantwortlich ist",
            "Für die Prüfung eines Antrags auf Arbeitserlaubnis oder auf Zulassung zu einer "
            "selbständigen Berufstätigkeit (Berufskarte) ist die zuständige regionale Behörde "
            "Verantwortlicher: die Flämische Region, die Wallonische Region, die Region "
            "Brüssel-Hauptstadt oder die Deutschsprachige Gemeinschaft, je nach Arbeitsort "
            "(Art. 7).",
            "Für die Prüfung eines Antrags auf Aufenthaltserlaubnis ist das Ausländeramt (Office "
            "des étrangers) Verantwortlicher (Art. 7). Das Ausländeramt und die regionalen "
            "Behörden sind für die elektronische Plattform gemeinsam Verantwortliche (Art. 7; "
            "Artikel 26 DSGVO).",
            "Das Landesamt für soziale Sicherheit (LSS) ist Auftragsverarbeiter: Es entwickelt, "
            "betreibt und wartet die Plattform im Auftrag der Verantwortlichen (Art. 8).",
        ),
        _section(
            "purposes",
            "Warum Ihre Daten verarbeitet werden",
            "Ihre Daten werden verarbeitet, um die europäischen Verpflichtungen Belgiens im "
            "Bereich der Wirtschaftsmigration zu erfüllen; die Anträge auf kombinierte "
            "Erlaubnis, Arbeitserlaubnis und Berufskarte zu registrieren; den Austausch von "
            "Daten, Dokumenten und Entscheidungen zwischen den zuständigen Diensten zu "
            "ermöglichen; die Anträge auf Aufenthalt zu Arbeitszwecken von mehr als 90 Tagen "
            "zu bearbeiten (kombinierte Erlaubnis, Blaue Karte EU, Saisonarbeitnehmer, "
            "unternehmensintern transferierte Arbeitnehmer, Forscher, Praktikanten, "
            "Freiwillige und deren langfristige Mobilität) (Art. 10 Nr. 1 bis 4).",
            "Sie dienen auch dazu, Mitteilungen und Notifizierungen mit den Arbeitnehmern, den "
            "Arbeitgebern, den Selbständigen und ihren Bevollmächtigten zu teilen; den "
            "Aufenthalt und die Arbeit oder selbständige Tätigkeit zu verfolgen; der Kontrolle "
            "und Aufsicht durch die Inspektionsdienste sowie der Verhütung, Feststellung, "
            "Verfolgung und Ahndung von Verstößen gegen die Sozialvorschriften; und dazu, die "
            "Entscheidungen über den Entzug der kombinierten Erlaubnis den öffentlichen "
            "Arbeitsvermittlungsdiensten mitzuteilen, damit sie Ihnen helfen, eine andere "
            "Stelle zu finden (Art. 10 Nr. 5 bis 9).",
        ),
        _section(
            "legal_basis",
            "Auf welcher Rechtsgrundlage",
            "Die Verarbeitung ist zur Erfüllung einer rechtlichen Verpflichtung erforderlich, "
            "der die Verantwortlichen unterliegen (Artikel 6 Absatz 1 Buchstabe c DSGVO; Art. "
            "9): das Zusammenarbeitsabkommen vom 31. Januar 2025, das Zusammenarbeitsabkommen "
            "vom 2. Februar 2018 über die kombinierte Erlaubnis und die darin genannten "
            "Rechtsvorschriften über den Aufenthalt und die Beschäftigung ausländischer "
            "Arbeitnehmer.",
            "Gesundheitsdaten (ärztliches Attest) werden nur unter den Bedingungen von Artikel 9 "
            "DSGVO verarbeitet und sind nur den bestimmten Personenkategorien zugänglich (Art. "
            "15 und 16); Daten über strafrechtliche Verurteilungen werden nur vom Ausländeramt "
            "für Arbeitnehmer und von den regionalen Behörden für Selbständige verarbeitet "
            "(Art. 17).",
        ),
        _section(
            "data_and_sources",
            "Welche Daten und woher sie stammen",
            "Die Plattform speichert Identifizierungs- und Kontaktdaten (Art. 12), Daten zur "
            "Beschäftigung oder selbständigen Tätigkeit (Art. 13), das ärztliche Attest (Art. "
            "15), den Strafregisterauszug (Art. 17) und Verwaltungsdaten: Zahlung der Gebühr "
            "und getroffene Entscheidungen (Art. 18). Die Behörden haben nur Zugang zu den "
            "Daten, die ihre Aufgaben erfordern (Art. 11).",
            "Diese Daten stammen von Ihnen, Ihrem Arbeitgeber oder Ihrem Bevollmächtigten. Das "
            "LSS liefert zudem Lohn- und Beschäftigungsdaten aus der sofortigen "
            "Beschäftigungsmeldung (DIMONA), aus LIMOSA und aus der multifunktionellen "
            "Erklärung (DmfA) (Art. 14 § 1); das Landesinstitut der Sozialversicherungen für "
            "Selbständige (LISVS) liefert Daten aus dem allgemeinen Verzeichnis der "
            "Selbständigen und aus LIMOSA für Berufskarten (Art. 14 § 2).",
        ),
        _section(
            "recipients",
            "Wer Ihre Daten erhält",
            "Die Behörden, die Ihren Antrag prüfen (das Ausländeramt und die regionalen "
            "Behörden), jede für ihren Zuständigkeitsbereich; die örtlich zuständige regionale "
            "Behörde kann den bei einer anderen regionalen Behörde eingereichten Antrag und "
            "deren Entscheidungen einsehen (Art. 26).",
            "Die belgischen diplomatischen Vertretungen erhalten die Erlaubnisentscheidungen, "
            "wenn Sie ein Visum für einen langfristigen Aufenthalt beantragen, und die "
            "Gemeindeverwaltung, wenn Sie ein vorläufiges Aufenthaltsdokument bis zur "
            "Ausstellung der kombinierten Erlaubnis beantragen (Art. 21 bis 23). Die "
            "Sozialinspektionsdienste haben Zugang zur Akte und zu den regionalen "
            "Entscheidungen, die für die Kontrolle der ihnen übertragenen Rechtsvorschriften "
            "nützlich sind (Art. 25). Die öffentlichen Arbeitsvermittlungsdienste (VDAB, Le "
            "Forem, Actiris, ADG) erhalten die Entscheidungen über den Entzug der kombinierten "
            "Erlaubnis (Art. 10 Nr. 9).",
            "Wird eine ablehnende Entscheidung getroffen, werden die anderen Behörden nur "
            "darüber informiert, dass sie getroffen wurde: Die vollständige Entscheidung mit "
            "ihrer Begründung wird nur Ihnen zugestellt (Art. 24).",
        ),
        _section(
            "retention",
            "Wie lange Ihre Daten aufbewahrt werden",
            "Jede Akte wird auf der Plattform 10 Jahre ab Einreichung des Antrags aufbewahrt, "
            "wenn Aufenthalts- und Arbeitserlaubnis erteilt wurden, und 5 Jahre ab Zustellung "
            "einer Entscheidung über Ablehnung, Beendigung oder Entzug (Art. 27 § 1 Nr. 1 und "
            "2).",
            "Sie wird keinesfalls vor Ablauf eines Jahres nach der Verjährung aller Klagen im "
            "Zuständigkeitsbereich der Verantwortlichen und gegebenenfalls nach dem endgültigen "
            "Abschluss der Verwaltungsverfahren und Rechtsbehelfe gelöscht: Ein anhängiger "
            "Rechtsbehelf hält die Löschung auf (Art. 27 § 1 Nr. 3). Nach Ablauf dieser Frist "
            "wird die Akte automatisch von der Plattform gelöscht (Art. 27 § 2).",
        ),
        _section(
            "rights",
            "Ihre Rechte und wie Sie sie ausüben",
            "Sie haben die Rechte nach den Artikeln 15 bis 21 DSGVO (Art. 29 § 1): Recht auf "
            "Auskunft über Ihre Daten, einschließlich einer Kopie von allem, was die Plattform "
            "über Sie speichert, in einem maschinenlesbaren Format; Recht auf Berichtigung; "
            "Recht auf Löschung, soweit es anwendbar ist; Recht auf Einschränkung der "
            "Verarbeitung; Widerspruchsrecht.",
            "Sie üben diese Rechte auf dieser Plattform in Ihrem persönlichen Bereich aus: "
            "Wählen Sie das Recht und den betroffenen Teil des Verfahrens. Ihr Antrag wird an "
            "den zuständigen Verantwortlichen weitergeleitet: die regionale Behörde für Arbeit "
            "und Berufskarte, das Ausländeramt für den Aufenthalt (Art. 29 § 2 und § 3).",
            "Sie erhalten eine datierte Empfangsbestätigung, sobald Ihr Antrag eingegangen ist "
            "(Art. 29 § 4). Der Verantwortliche antwortet innerhalb eines Monats nach Eingang "
            "(Artikel 12 Absatz 3 DSGVO); die Frist wird bei Ihrem Antrag angezeigt, und ein "
            "Antrag, der bei Fristablauf nicht beantwortet ist, wird als überfällig markiert.",
            "Der Verantwortliche entscheidet über die Folge. Wird er auf Ihren Antrag hin nicht "
            "tätig, teilt er Ihnen die Gründe mit (Artikel 12 Absatz 4 DSGVO). Eine gewährte "
            "Löschung führt zur Löschung der Akte von der Plattform.",
        ),
        _section(
            "complaint",
            "Beschwerde einlegen",
            "Sie haben das Recht auf Beschwerde bei der Aufsichtsbehörde, der "
            "Datenschutzbehörde (Autorité de protection des données / "
            "Gegevensbeschermingsautoriteit), Rue de la Presse 35, 1000 Brüssel, "
            "contact@apd-gba.be, www.dataprotectionauthority.be (Artikel 77 DSGVO).",
            "Sie können auch einen gerichtlichen Rechtsbehelf gegen den Verantwortlichen oder "
            "den Auftragsverarbeiter einlegen (Artikel 79 DSGVO).",
        ),
    ],
}

_EN: dict[str, Any] = {
    "language": "en",
    "title": "Protection of your personal data",
    "introduction": (
        "This information is given to you under Articles 13 and 14 of the General Data "
        "Protection Regulation (GDPR) and Article 28 of the cooperation agreement of 31 "
        "January 2025 on the single window for foreign workers. Unless the GDPR is named, "
        "the articles cited are those of that agreement."
    ),
    "sections": [
        _section(
            "controllers",
            "Who is responsible for your data",
            "For the examination of an application for a work authorisation or for an "
            "authorisation to carry on a self-employed professional activity (professional "
            "card), the controller is the competent regional authority: the Flemish Region, "
            "the Walloon Region, the Brussels-Capital Region or the German-speaking Community, "
            "depending on the place of work (Art. 7).",
            "For the examination of an application for a residence authorisation, the "
            "controller is the Immigration Office (Office des étrangers / Dienst "
            "Vreemdelingenzaken) (Art. 7). The Immigration Office and the regional authorities "
            "are joint controllers for the electronic platform (Art. 7; Article 26 GDPR).",
            "The National Social Security Office (ONSS / RSZ) is the processor: it develops, "
            "runs and maintains the platform on behalf of the controllers (Art. 8).",
        ),
        _section(
            "purposes",
            "Why your data are processed",
            "Your data are processed to fulfil Belgium's European obligations on economic "
            "migration; to register applications for a single permit, a work authorisation and "
            "a professional card; to enable the exchange of data, documents and decisions "
            "between the competent services; to process applications for residence for work "
            "of more than 90 days (single permit, EU Blue Card, seasonal worker, "
            "intra-corporate transferee, researcher, trainee, volunteer and their long-term "
            "mobility) (Art. 10, 1° to 4°).",
            "They are also used to share communications and notifications with workers, "
            "employers, self-employed persons and their mandataries; to follow up residence "
            "and work or self-employed activity; for control and supervision by the inspection "
            "services and for the prevention, detection, prosecution and punishment of "
            "breaches of social legislation; and to communicate decisions withdrawing a single "
            "permit to the public employment services so that they can help you find another "
            "job (Art. 10, 5° to 9°).",
        ),
        _section(
            "legal_basis",
            "On what legal basis",
            "The processing is necessary for compliance with a legal obligation to which the "
            "controllers are subject (Article 6(1)(c) GDPR; Art. 9): the cooperation agreement "
            "of 31 January 2025, the cooperation agreement of 2 February 2018 on the single "
            "permit and the legislation on the residence and employment of foreign workers it "
            "refers to.",
            "Health data (the medical certificate) are processed only under the conditions of "
            "Article 9 GDPR and are accessible only to the designated categories of staff "
            "(Art. 15 and 16); data on criminal convictions are processed only by the "
            "Immigration Office for employed workers and by the regional authorities for "
            "self-employed persons (Art. 17).",
        ),
        _section(
            "data_and_sources",
            "Which data, and where they come from",
            "The platform keeps identification and contact data (Art. 12), data on the "
            "employment or the self-employed activity (Art. 13), the medical certificate (Art. "
            "15), the criminal-record extract (Art. 17) and administrative data: payment of "
            "the fee and the decisions taken (Art. 18). The authorities have access only to "
            "the data their tasks require (Art. 11).",
            "These data come from you, your employer or your mandatary. The ONSS also provides "
            "wage and employment data from the immediate declaration of employment (DIMONA), "
            "LIMOSA and the multifunctional declaration (DmfA) (Art. 14 §1); the National "
            "Institute for the Social Security of the Self-employed (INASTI / RSVZ) provides "
            "data from the general repertory of the self-employed and from LIMOSA for "
            "professional cards (Art. 14 §2).",
        ),
        _section(
            "recipients",
            "Who receives your data",
            "The authorities that examine your application (the Immigration Office and the "
            "regional authorities), each for what falls within its competence; the "
            "territorially competent regional authority may consult an application filed with "
            "another regional authority and that authority's decisions (Art. 26).",
            "Belgian diplomatic posts receive authorisation decisions when you apply for a "
            "long-stay visa, and the municipal administration when you apply for a temporary "
            "residence document pending the single permit (Art. 21 to 23). Social inspection "
            "services have access to the dossier and the regional decisions useful to enforce "
            "the legislation they are responsible for (Art. 25). The public employment "
            "services (VDAB, Le Forem, Actiris, ADG) receive decisions withdrawing a single "
            "permit (Art. 10, 9°).",
            "When a negative decision is taken, the other authorities are only informed that "
            "it was taken: the full decision and its reasons are notified to you alone (Art. "
            "24).",
        ),
        _section(
            "retention",
            "How long your data are kept",
            "Each dossier is kept on the platform for 10 years from the filing of the "
            "application when the residence and work authorisations are granted, and for 5 "
            "years from the notification of a decision of refusal, end or withdrawal (Art. 27 "
            "§1, 1° and 2°).",
            "It is never deleted before one year after the limitation of all actions within "
            "the controllers' competence and, where applicable, the definitive end of "
            "administrative procedures and appeals: a pending appeal holds the deletion (Art. "
            "27 §1, 3°). When that period expires, the dossier is deleted automatically from "
            "the platform (Art. 27 §2).",
        ),
        _section(
            "rights",
            "Your rights and how to exercise them",
            "You have the rights set out in Articles 15 to 21 GDPR (Art. 29 §1): the right of "
            "access to your data, including a copy of everything the platform holds about you "
            "in a machine-readable format; the right to rectification; the right to erasure "
            "where it applies; the right to restriction of processing; the right to object.",
            "You exercise these rights on this platform, in your personal space: choose the "
            "right and the part of the procedure concerned. Your request is forwarded to the "
            "controller concerned: the regional authority for work and the professional card, "
            "the Immigration Office for residence (Art. 29 §2 and §3).",
            "You receive a dated acknowledgment of receipt as soon as your request is received "
            "(Art. 29 §4). The controller answers within one month of its receipt (Article "
            "12(3) GDPR); the due date is shown with your request, and a request still "
            "unanswered after its due date is flagged as overdue.",
            "The controller decides what follows. If it does not act on your request, it "
            "tells you why (Article 12(4) GDPR). A granted erasure leads to the deletion of "
            "the dossier from the platform.",
        ),
        _section(
            "complaint",
            "Lodging a complaint",
            "You have the right to lodge a complaint with the supervisory authority, the "
            "Belgian Data Protection Authority (Autorité de protection des données / "
            "Gegevensbeschermingsautoriteit), Rue de la Presse 35, 1000 Brussels, "
            "contact@apd-gba.be, www.dataprotectionauthority.be (Article 77 GDPR).",
            "You may also seek a judicial remedy against the controller or the processor "
            "(Article 79 GDPR).",
        ),
    ],
}

_NOTICES: dict[str, dict[str, Any]] = {"fr": _FR, "nl": _NL, "de": _DE, "en": _EN}


def notice(language: str) -> dict[str, Any]:
    """The notice in ``language`` (fr, nl, de or en): ``{"language", "title",
    "introduction", "sections": [{"id", "title", "paragraphs": [...]}, ...]}``, a copy the
    caller may change."""
    if language not in _NOTICES:
        raise RightsError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return copy.deepcopy(_NOTICES[language])
