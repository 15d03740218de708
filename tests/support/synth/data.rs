//! Static vocabularies of the synthetic world: the six tenant archetypes, their fleets and
//! branches, customer names by country, nicknames and typos, month and weekday names.

/// The archetypes. Tenant `i` uses archetype `i % 6`, so a world with more tenants repeats
/// the formats under new names (which also tests that one template family serves two tenants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Profile {
    /// German, Europe/Berlin, EUR; plain-text mails with a sentence for the pick-up; Outlook
    /// calendar with a Windows zone name; Stripe descriptions only; deposit + balance.
    Alpen,
    /// US, America/New_York, USD; HTML-only mails (a table); Google calendar; full Stripe
    /// metadata and payment intents; receipts; Maildir.
    Liberty,
    /// French, Europe/Paris, EUR; `Label : valeur` mails in windows-1252/latin-1; payments only
    /// as a Dashboard CSV export.
    Riviera,
    /// Spanish, Europe/Madrid, EUR; multipart/alternative mails; deposit + balance with
    /// metadata on the balance charge.
    Sol,
    /// UK, Europe/London, GBP; aligned `Label: value` mails sent through a platform; Stripe
    /// descriptions with dates, sometimes without the reference; receipts.
    Thames,
    /// Japanese-yen tenant writing English; ymd dates; UTC calendar times.
    Sakura,
}

pub const PROFILES: [Profile; 6] = [
    Profile::Alpen,
    Profile::Liberty,
    Profile::Riviera,
    Profile::Sol,
    Profile::Thames,
    Profile::Sakura,
];

/// A car the tenant rents out, with its daily rate in minor units of the tenant's currency.
#[derive(Debug, Clone, Copy)]
pub struct Vehicle {
    pub name: &'static str,
    pub rate: i64,
}

const fn v(name: &'static str, rate: i64) -> Vehicle {
    Vehicle { name, rate }
}

/// Everything fixed about an archetype.
#[derive(Debug)]
pub struct ProfileData {
    pub slug: &'static str,
    pub name: &'static str,
    pub brand: &'static str,
    pub domain: &'static str,
    pub tz: &'static str,
    pub currency: &'static str,
    pub country: Country,
    pub branches: &'static [&'static str],
    pub fleet: &'static [Vehicle],
    /// One-way fee when the return branch differs, minor units.
    pub one_way_fee: i64,
    /// Optional insurance per day, minor units.
    pub insurance: i64,
    pub staff: &'static [(&'static str, &'static str)],
}

pub fn profile_data(p: Profile) -> &'static ProfileData {
    match p {
        Profile::Alpen => &ALPEN,
        Profile::Liberty => &LIBERTY,
        Profile::Riviera => &RIVIERA,
        Profile::Sol => &SOL,
        Profile::Thames => &THAMES,
        Profile::Sakura => &SAKURA,
    }
}

static ALPEN: ProfileData = ProfileData {
    slug: "alpen-autos",
    name: "Alpen Autos GmbH",
    brand: "Alpen Autos",
    domain: "alpen-autos.example",
    tz: "Europe/Berlin",
    currency: "EUR",
    country: Country::De,
    branches: &[
        "München Flughafen",
        "München Hauptbahnhof",
        "Garmisch-Partenkirchen",
        "Rosenheim Zentrum",
    ],
    fleet: &[
        v("VW Golf", 5490),
        v("VW Polo", 3990),
        v("VW Passat Variant", 6990),
        v("BMW 320d Touring", 8990),
        v("Mercedes-Benz C 200", 9490),
        v("Audi A4 Avant", 8490),
        v("Skoda Octavia Combi", 5990),
        v("Opel Corsa", 3490),
        v("Tesla Model 3", 10990),
        v("VW ID.4", 9990),
    ],
    one_way_fee: 4900,
    insurance: 1290,
    staff: &[
        ("Anna Schmidt", "anna.schmidt"),
        ("Markus Huber", "markus.huber"),
    ],
};

static LIBERTY: ProfileData = ProfileData {
    slug: "liberty-car-rental",
    name: "Liberty Car Rental LLC",
    brand: "Liberty Car Rental",
    domain: "libertycarrental.example",
    tz: "America/New_York",
    currency: "USD",
    country: Country::Us,
    branches: &[
        "JFK Airport Terminal 4",
        "Manhattan - W 55th St",
        "Newark Airport",
        "Brooklyn Downtown",
    ],
    fleet: &[
        v("Toyota Corolla", 4800),
        v("Tesla Model 3", 8900),
        v("Ford Mustang Convertible", 12900),
        v("Chevrolet Malibu", 5200),
        v("Jeep Wrangler", 9900),
        v("Nissan Altima", 5000),
        v("Toyota RAV4", 7400),
        v("Chrysler Pacifica", 10500),
    ],
    one_way_fee: 7500,
    insurance: 1999,
    staff: &[("Dana Brooks", "dana"), ("Luis Ortega", "luis")],
};

static RIVIERA: ProfileData = ProfileData {
    slug: "riviera-location",
    name: "Riviera Location SARL",
    brand: "Riviera Location",
    domain: "riviera-location.example",
    tz: "Europe/Paris",
    currency: "EUR",
    country: Country::Fr,
    branches: &[
        "Nice Aéroport T2",
        "Nice Gare Thiers",
        "Cannes Centre",
        "Antibes Juan-les-Pins",
    ],
    fleet: &[
        v("Peugeot 208", 3900),
        v("Renault Clio", 3700),
        v("Citroën C3", 3600),
        v("Renault Zoé", 4200),
        v("Fiat 500 Cabrio", 4900),
        v("Peugeot 3008", 6900),
        v("Tesla Model 3", 9900),
        v("DS 7 Crossback", 8900),
    ],
    one_way_fee: 3500,
    insurance: 990,
    staff: &[("Sylvie Martin", "sylvie"), ("Karim Benali", "karim")],
};

static SOL: ProfileData = ProfileData {
    slug: "sol-rent",
    name: "Sol Rent a Car S.L.",
    brand: "Sol Rent a Car",
    domain: "solrent.example",
    tz: "Europe/Madrid",
    currency: "EUR",
    country: Country::Es,
    branches: &[
        "Málaga Aeropuerto",
        "Marbella Centro",
        "Sevilla Santa Justa",
        "Granada Estación",
    ],
    fleet: &[
        v("Seat León", 3900),
        v("Seat Ibiza", 2900),
        v("Dacia Sandero", 2500),
        v("Fiat 500", 3200),
        v("Cupra Formentor", 6900),
        v("Toyota C-HR", 5500),
        v("Kia Niro", 5200),
        v("Mini Cooper Cabrio", 6500),
    ],
    one_way_fee: 4000,
    insurance: 1100,
    staff: &[("Lucía Romero", "lucia"), ("Pablo Ruiz", "pablo")],
};

static THAMES: ProfileData = ProfileData {
    slug: "thames-motors",
    name: "Thames Motors Ltd",
    brand: "Thames Motors",
    domain: "thamesmotors.example",
    tz: "Europe/London",
    currency: "GBP",
    country: Country::Gb,
    branches: &[
        "London Heathrow T5",
        "London King's Cross",
        "Oxford Station",
        "Reading Town Centre",
    ],
    fleet: &[
        v("Ford Focus", 4500),
        v("Vauxhall Corsa", 3500),
        v("VW Golf", 4900),
        v("Land Rover Discovery Sport", 11900),
        v("Mini Cooper", 4900),
        v("Nissan Qashqai", 6200),
        v("Tesla Model 3", 9500),
        v("Jaguar XE", 10500),
    ],
    one_way_fee: 3900,
    insurance: 1250,
    staff: &[
        ("Gemma Hughes", "gemma.hughes"),
        ("Tom Barker", "tom.barker"),
    ],
};

static SAKURA: ProfileData = ProfileData {
    slug: "sakura-drive",
    name: "Sakura Drive K.K.",
    brand: "Sakura Drive",
    domain: "sakura-drive.example",
    tz: "Asia/Tokyo",
    currency: "JPY",
    country: Country::Jp,
    branches: &[
        "Narita Airport T1",
        "Haneda Airport T3",
        "Shinjuku Station West",
        "Yokohama Minatomirai",
    ],
    fleet: &[
        v("Toyota Prius", 8800),
        v("Toyota Yaris", 5500),
        v("Honda Fit", 6000),
        v("Nissan Note", 5800),
        v("Toyota Alphard", 22000),
        v("Mazda CX-5", 11000),
        v("Nissan Serena", 13000),
        v("Toyota Corolla", 7700),
    ],
    one_way_fee: 5500,
    insurance: 1650,
    staff: &[
        ("Kaori Mori", "kaori.mori"),
        ("Daisuke Endo", "daisuke.endo"),
    ],
};

/// Where a customer comes from: decides the name list, phone format and mail providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Country {
    De,
    Us,
    Fr,
    Es,
    Gb,
    Jp,
    Cz,
    Pl,
    Dk,
}

pub const ALL_COUNTRIES: [Country; 9] = [
    Country::De,
    Country::Us,
    Country::Fr,
    Country::Es,
    Country::Gb,
    Country::Jp,
    Country::Cz,
    Country::Pl,
    Country::Dk,
];

impl Country {
    pub fn iso(self) -> &'static str {
        match self {
            Country::De => "DE",
            Country::Us => "US",
            Country::Fr => "FR",
            Country::Es => "ES",
            Country::Gb => "GB",
            Country::Jp => "JP",
            Country::Cz => "CZ",
            Country::Pl => "PL",
            Country::Dk => "DK",
        }
    }

    pub fn first_names(self) -> &'static [&'static str] {
        match self {
            Country::De => &[
                "Hans",
                "Anna",
                "Jürgen",
                "Lena",
                "Maximilian",
                "Sophie",
                "Klaus",
                "Ursula",
                "Jörg",
                "Katharina",
                "Stefan",
                "Brigitte",
                "Lukas",
                "Marie",
                "Günter",
                "Björn",
                "Johannes",
                "Alexander",
            ],
            Country::Us => &[
                "Robert",
                "William",
                "Katherine",
                "John",
                "Mary",
                "James",
                "Elizabeth",
                "Michael",
                "Jennifer",
                "Thomas",
                "Margaret",
                "Richard",
                "Patricia",
                "Christopher",
                "Ashley",
            ],
            Country::Fr => &[
                "Marie",
                "Jean",
                "Françoise",
                "Élodie",
                "Stéphane",
                "Amélie",
                "Hélène",
                "François",
                "Benoît",
                "Céline",
                "Gaëlle",
                "Jérôme",
                "Anaïs",
                "Loïc",
                "Noël",
            ],
            Country::Es => &[
                "José",
                "María",
                "Jesús",
                "Ángel",
                "Lucía",
                "Iñaki",
                "Begoña",
                "Nuria",
                "Álvaro",
                "Raúl",
                "Sofía",
                "Martín",
                "Inés",
                "Óscar",
                "Carmen",
                "Francisco",
            ],
            Country::Gb => &[
                "Oliver",
                "Charlotte",
                "Harry",
                "Amelia",
                "George",
                "Isla",
                "William",
                "Katherine",
                "Robert",
                "Siobhan",
                "Niamh",
                "Rhys",
                "Eleanor",
                "Alistair",
                "Fiona",
            ],
            Country::Jp => &[
                "Hiroshi", "Yuki", "Kenji", "Aiko", "Haruto", "Yūko", "Sakura", "Takeshi", "Naomi",
                "Ren", "Sōta", "Emi",
            ],
            Country::Cz => &["Tomáš", "Jiří", "Petra", "Lucie", "Jana", "Ondřej"],
            Country::Pl => &["Łukasz", "Agnieszka", "Małgorzata", "Paweł", "Zofia"],
            Country::Dk => &["Søren", "Mette", "Ørjan", "Zoë", "Björk"],
        }
    }

    pub fn last_names(self) -> &'static [&'static str] {
        match self {
            Country::De => &[
                "Müller",
                "Schmidt",
                "Schneider",
                "Fischer",
                "Weber",
                "Meier",
                "Wagner",
                "Becker",
                "Schäfer",
                "Koch",
                "Groß",
                "Krüger",
                "Hoffmann",
                "Schröder",
                "Neumann",
                "Weiß",
                "Zimmermann",
                "Köhler",
                "Maier",
                "Bauer",
            ],
            Country::Us => &[
                "Smith",
                "Johnson",
                "Williams",
                "Brown",
                "Jones",
                "Garcia",
                "Miller",
                "Davis",
                "Rodriguez",
                "O'Brien",
                "Wilson",
                "Anderson",
                "Taylor",
                "McCarthy",
                "Nguyen",
            ],
            Country::Fr => &[
                "Dupont",
                "Lefèvre",
                "Moreau",
                "Laurent",
                "Girard",
                "Rousseau",
                "Fontaine",
                "Chevalier",
                "Bérenger",
                "Lemaître",
                "Dubois",
                "Faure",
                "Mercier",
                "Boucher",
                "Gauthier",
            ],
            Country::Es => &[
                "Ñúñez",
                "García",
                "Fernández",
                "Martínez",
                "López",
                "Sánchez",
                "Pérez",
                "Gómez",
                "Muñoz",
                "Jiménez",
                "Rodríguez",
                "Castaño",
                "Ibáñez",
                "Peña",
                "Domínguez",
            ],
            Country::Gb => &[
                "Smith",
                "Jones",
                "Taylor",
                "Davies",
                "Evans",
                "O'Brien",
                "MacDonald",
                "O'Connor",
                "Hughes",
                "Edwards",
                "Thompson",
                "Fitzgerald",
                "Walsh",
                "Clarke",
                "Wright",
            ],
            Country::Jp => &[
                "Tanaka",
                "Sato",
                "Suzuki",
                "Takahashi",
                "Watanabe",
                "Itō",
                "Yamamoto",
                "Nakamura",
                "Kobayashi",
                "Katō",
                "Ōno",
                "Saitō",
            ],
            Country::Cz => &[
                "Šimůnek",
                "Dvořák",
                "Nováková",
                "Černý",
                "Procházka",
                "Kučera",
            ],
            Country::Pl => &["Wójcik", "Kowalski", "Wiśniewska", "Zieliński", "Łącki"],
            Country::Dk => &["Jørgensen", "Åström", "Kjærgaard", "Sørensen"],
        }
    }

    pub fn mail_domains(self) -> &'static [&'static str] {
        match self {
            Country::De => &["gmx.de", "web.de", "t-online.de", "gmail.com", "posteo.de"],
            Country::Us => &[
                "gmail.com",
                "yahoo.com",
                "outlook.com",
                "icloud.com",
                "aol.com",
            ],
            Country::Fr => &["orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr"],
            Country::Es => &["gmail.com", "hotmail.es", "telefonica.net", "yahoo.es"],
            Country::Gb => &["btinternet.com", "hotmail.co.uk", "gmail.com", "sky.com"],
            Country::Jp => &["docomo.ne.jp", "yahoo.co.jp", "gmail.com", "ezweb.ne.jp"],
            Country::Cz => &["seznam.cz", "email.cz", "gmail.com"],
            Country::Pl => &["wp.pl", "onet.pl", "gmail.com"],
            Country::Dk => &["mail.dk", "gmail.com", "outlook.dk"],
        }
    }
}

/// Short forms customers use on their cards or when they book by phone.
pub fn nickname(first: &str) -> Option<&'static str> {
    Some(match first {
        "Robert" => "Bob",
        "William" => "Bill",
        "Katherine" => "Kate",
        "Elizabeth" => "Liz",
        "Michael" => "Mike",
        "James" => "Jim",
        "Margaret" => "Maggie",
        "Thomas" => "Tom",
        "Richard" => "Rick",
        "Christopher" => "Chris",
        "Jennifer" => "Jen",
        "Patricia" => "Pat",
        "Maximilian" => "Max",
        "Katharina" => "Kathi",
        "Johannes" => "Hannes",
        "Alexander" => "Alex",
        "Alistair" => "Ali",
        "Eleanor" => "Ellie",
        "José" => "Pepe",
        "Francisco" => "Paco",
        _ => return None,
    })
}

/// How staff mistype a surname in a calendar (or a customer on a card).
pub fn typo(last: &str) -> String {
    let known = match last {
        "Meier" => Some("Maier"),
        "Maier" => Some("Meier"),
        "Schmidt" => Some("Schmitt"),
        "Müller" => Some("Mueller"),
        "Weiß" => Some("Weiss"),
        "Groß" => Some("Gross"),
        "Smith" => Some("Smyth"),
        "Dupont" => Some("Dupond"),
        "Lefèvre" => Some("Lefevre"),
        "O'Brien" => Some("OBrien"),
        "Ñúñez" => Some("Nunez"),
        "Jiménez" => Some("Jimenez"),
        "Šimůnek" => Some("Simunek"),
        "MacDonald" => Some("McDonald"),
        "Rodríguez" => Some("Rodriguez"),
        _ => None,
    };
    if let Some(k) = known {
        return k.to_string();
    }
    // Swap two adjacent letters in the middle: "Hoffmann" → "Hofmfann".
    let mut cs: Vec<char> = last.chars().collect();
    if cs.len() >= 4 {
        let i = cs.len() / 2;
        cs.swap(i - 1, i);
    }
    cs.into_iter().collect()
}

/// ASCII form of a name for e-mail local parts (what providers accept).
pub fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let r: &str = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'Ä' => "Ae",
            'Ö' => "Oe",
            'Ü' => "Ue",
            'ß' => "ss",
            'á' | 'à' | 'â' | 'å' => "a",
            'Á' | 'À' | 'Â' | 'Å' => "A",
            'é' | 'è' | 'ê' | 'ë' | 'ě' => "e",
            'É' | 'È' | 'Ê' => "E",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'Í' => "I",
            'ó' | 'ò' | 'ô' | 'ō' => "o",
            'Ó' | 'Ō' => "O",
            'ú' | 'ù' | 'û' | 'ů' | 'ū' => "u",
            'Ú' => "U",
            'ñ' | 'ń' => "n",
            'Ñ' => "N",
            'ç' | 'č' => "c",
            'Č' => "C",
            'š' | 'ś' => "s",
            'Š' | 'Ś' => "S",
            'ř' => "r",
            'ž' | 'ź' | 'ż' => "z",
            'ł' => "l",
            'Ł' => "L",
            'ą' => "a",
            'ę' => "e",
            'ø' => "o",
            'Ø' => "O",
            'æ' => "ae",
            'Æ' => "Ae",
            'ý' => "y",
            '\'' | ' ' | '-' => "",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(r);
    }
    out
}

pub const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
pub const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
pub const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
/// Monday first.
pub const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub const DAYS_DE: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
pub const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
pub const DAYS_ES: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
