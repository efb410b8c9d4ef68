package gen

// Word lists for titles and people. Titles are built from patterns such as
// "The {adj} {noun}" and "Return of the {adj} {noun}", so ?search= on any
// of these words finds many movies, as a real catalog would.
var (
	adjectives = []string{
		"Silent", "Iron", "Crimson", "Lost", "Golden", "Broken", "Hidden", "Last", "Dark", "Wild",
		"Frozen", "Burning", "Secret", "Distant", "Forgotten", "Electric", "Hollow", "Scarlet", "Midnight", "Savage",
		"Gentle", "Eternal", "Restless", "Shattered", "Velvet", "Bitter", "Silver", "Little", "Endless", "Fallen",
		"Northern", "Southern", "Quiet", "Lonely", "Brave", "Wicked", "Sacred", "Stolen", "Empty", "Final",
		"Blue", "Black", "White", "Red", "Green", "Cold", "Strange", "Perfect", "Invisible", "Ancient",
	}
	nouns = []string{
		"Harbor", "Wolf", "River", "Empire", "Garden", "Storm", "Kingdom", "Shadow", "Horizon", "Station",
		"Mountain", "City", "Island", "Road", "Night", "Summer", "Winter", "Heart", "Voyage", "Mirror",
		"Desert", "Ocean", "Forest", "Castle", "Train", "Letter", "Promise", "Stranger", "Dream", "Machine",
		"Planet", "Valley", "Bridge", "Tower", "Hunter", "Soldier", "Queen", "King", "Detective", "Witness",
		"Dancer", "Prophet", "Thief", "Ghost", "Angel", "Dragon", "Serpent", "Falcon", "Lion", "Rose",
		"Moon", "Sun", "Star", "Fire", "Rain", "Snow", "Wind", "Sea", "Sky", "Stone",
	}
	titlePatterns = []func(a1, a2, n1, n2 string) string{
		func(a1, _, n1, _ string) string { return "The " + a1 + " " + n1 },
		func(a1, _, n1, _ string) string { return a1 + " " + n1 },
		func(a1, _, n1, _ string) string { return "Return of the " + a1 + " " + n1 },
		func(_, _, n1, n2 string) string { return "The " + n1 + " and the " + n2 },
		func(a1, _, n1, n2 string) string { return n1 + " of the " + a1 + " " + n2 },
		func(_, _, n1, n2 string) string { return "The " + n1 + "'s " + n2 },
		func(a1, a2, n1, _ string) string { return a1 + " and " + a2 + " " + n1 },
		func(a1, _, n1, _ string) string { return "Beyond the " + a1 + " " + n1 },
		func(_, _, n1, _ string) string { return "The Last " + n1 },
		func(a1, _, n1, n2 string) string { return "A " + n1 + " for the " + a1 + " " + n2 },
		func(_, _, n1, _ string) string { return n1 },
		func(a1, _, n1, _ string) string { return "Night of the " + a1 + " " + n1 },
	}
	sequels = []string{" II", " III", " IV", ": Part Two", ": The Beginning", ": Reckoning"}

	firstNames = []string{
		"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
		"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
		"Akira", "Yasujiro", "Ingmar", "Federico", "Agnès", "Jean", "François", "Wong", "Pedro", "Sofia",
		"Alfonso", "Guillermo", "Kathryn", "Greta", "Chloé", "Bong", "Park", "Satyajit", "Abbas", "Asghar",
		"Lars", "Thomas", "Werner", "Wim", "Fritz", "Sergei", "Andrei", "Krzysztof", "Michelangelo", "Luchino",
		"Spike", "Ava", "Barry", "Jordan", "Ryan", "Denis", "Christopher", "Martin", "Steven", "Stanley",
		"Billy", "Orson", "Howard", "Frank", "Ernst", "Nicholas", "Sidney", "Elia", "George", "Francis",
		"Nora", "Claire", "Céline", "Lucrecia", "Andrea", "Joanna", "Lynne", "Debra", "Kelly", "Mira",
	}
	lastNames = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Kurosawa", "Ozu", "Bergman", "Fellini", "Varda", "Renoir", "Truffaut", "Kar-wai", "Almodóvar", "Coppola",
		"Cuarón", "del Toro", "Bigelow", "Gerwig", "Zhao", "Joon-ho", "Chan-wook", "Ray", "Kiarostami", "Farhadi",
		"von Trier", "Vinterberg", "Herzog", "Wenders", "Lang", "Eisenstein", "Tarkovsky", "Kieślowski", "Antonioni", "Visconti",
		"Lee", "DuVernay", "Jenkins", "Peele", "Coogler", "Villeneuve", "Nolan", "Scorsese", "Spielberg", "Kubrick",
		"Wilder", "Welles", "Hawks", "Capra", "Lubitsch", "Ray", "Lumet", "Kazan", "Cukor", "Ford",
		"Ephron", "Denis", "Sciamma", "Martel", "Arnold", "Hogg", "Ramsay", "Granik", "Reichardt", "Nair",
		"Anderson", "Campion", "Hitchcock", "Chaplin", "Keaton", "Murnau", "Dreyer", "Bresson", "Godard", "Rohmer",
	}
)
