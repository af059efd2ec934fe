/**
 * The Apples & Oranges vocabulary: categories of short items, each item in exactly one category
 * (so "Carrot is not a fruit" is always decidable: no Orange among colours, no Turkey among animals).
 * Beach activities are lower-case phrases, as in the paper's example ("wear sunscreen, don't litter"
 * is NOT a list of beach activities: those are precautions).
 */
export interface Category {
  key: string;
  singular: string;
  plural: string;
  items: readonly string[];
}

/** One category; its key (what task specs name) is its plural unless given. */
function category(singular: string, plural: string, items: readonly string[], key = plural): Category {
  return { key, singular, plural, items };
}

// biome-ignore format: word lists read better packed
export const CATEGORIES: readonly Category[] = [
  category('fruit', 'fruits', [
    'Apple', 'Orange', 'Banana', 'Grape', 'Kiwi', 'Blueberry', 'Mango', 'Pear', 'Peach', 'Plum', 'Cherry',
    'Strawberry', 'Pineapple', 'Watermelon', 'Lemon', 'Apricot', 'Papaya', 'Raspberry', 'Fig', 'Coconut',
  ]),
  category('colour', 'colours', [
    'Red', 'Blue', 'Green', 'Yellow', 'Purple', 'Pink', 'Brown', 'Black', 'White', 'Grey', 'Cyan', 'Magenta',
    'Indigo', 'Beige', 'Maroon', 'Navy', 'Teal', 'Turquoise', 'Silver', 'Gold', 'Crimson',
  ]),
  category('animal', 'animals', [
    'Dog', 'Cat', 'Horse', 'Cow', 'Sheep', 'Lion', 'Tiger', 'Elephant', 'Giraffe', 'Zebra', 'Bear', 'Wolf', 'Fox',
    'Rabbit', 'Monkey', 'Kangaroo', 'Penguin', 'Dolphin', 'Owl', 'Frog', 'Camel', 'Deer',
  ]),
  category('beach activity', 'beach activities', [
    'swimming', 'surfing', 'snorkeling', 'sunbathing', 'beach volleyball', 'building sandcastles',
    'collecting shells', 'flying kites', 'kayaking', 'paddleboarding', 'fishing', 'jogging', 'frisbee',
    'bodyboarding', 'windsurfing', 'picnicking', 'beachcombing', 'scuba diving', 'reading', 'sailing',
  ]),
  category('tool', 'tools', [
    'Hammer', 'Screwdriver', 'Wrench', 'Pliers', 'Saw', 'Drill', 'Chisel', 'Level', 'Sander', 'Clamp', 'Axe',
    'Shovel', 'Rake', 'File', 'Mallet', 'Crowbar', 'Trowel', 'Spanner', 'Scissors', 'Ruler',
  ]),
  category('vegetable', 'vegetables', [
    'Carrot', 'Potato', 'Broccoli', 'Spinach', 'Lettuce', 'Cabbage', 'Onion', 'Garlic', 'Pea', 'Cucumber',
    'Celery', 'Cauliflower', 'Zucchini', 'Eggplant', 'Radish', 'Beetroot', 'Kale', 'Leek', 'Asparagus', 'Turnip',
  ]),
  category('country', 'countries', [
    'France', 'Japan', 'Brazil', 'Canada', 'Kenya', 'India', 'Mexico', 'Italy', 'Spain', 'Egypt', 'Norway',
    'Peru', 'Chile', 'Germany', 'Ghana', 'Vietnam', 'Australia', 'Argentina', 'Sweden', 'Nepal', 'Portugal',
  ]),
  category('musical instrument', 'musical instruments', [
    'Piano', 'Guitar', 'Violin', 'Drums', 'Flute', 'Trumpet', 'Cello', 'Harp', 'Clarinet', 'Saxophone',
    'Trombone', 'Banjo', 'Ukulele', 'Accordion', 'Harmonica', 'Oboe', 'Tuba', 'Xylophone', 'Mandolin', 'Bagpipes',
  ], 'instruments'),
];

/** Lower-cased item text to its category, for membership checks. */
export const ITEM_CATEGORY: ReadonlyMap<string, Category> = (() => {
  const map = new Map<string, Category>();
  for (const c of CATEGORIES) {
    for (const item of c.items) {
      const key = item.toLowerCase();
      const other = map.get(key);
      if (other) throw new Error(`apples lexicon: "${item}" is in both ${other.key} and ${c.key}`);
      map.set(key, c);
    }
  }
  return map;
})();

export function categoryByKey(key: string): Category {
  const c = CATEGORIES.find((x) => x.key === key);
  if (!c) throw new Error(`unknown apples category "${key}"; known: ${CATEGORIES.map((x) => x.key).join(', ')}`);
  return c;
}
