"""Items computed rather than typed: math word problems with worked solutions, unit conversions,
and JSON-extraction tasks (hand-written texts, answers serialised here so they are valid JSON)."""

from __future__ import annotations

import json
import math
import random
import re
import zlib
from fractions import Fraction


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _pick(options: list[str], *values: float) -> str:
    """A wording chosen from numbers already drawn: varied text without extra random draws
    (so regenerating keeps every record, and its id, where it was)."""
    return options[zlib.crc32(repr(values).encode()) % len(options)]


def _discount(rng):
    price, pct = rng.choice([48, 64, 79.99, 120, 250, 35.5]), rng.choice([15, 20, 25, 30, 40])
    item = rng.choice(["jacket", "pair of running shoes", "desk lamp", "backpack", "blender", "winter coat"])
    off = round(price * pct / 100, 2)
    q = _pick([f"A {item} costs {_money(price)} and is on sale for {pct}% off. What is the sale price?",
               f"The {item} I want is {_money(price)}, but there's {pct}% off this week. How much will I pay?",
               f"How much is a {_money(price)} {item} after a {pct}% discount?"], price, pct)
    a = (f"First find the discount: {pct}% of {_money(price)} = {pct/100:g} × {price:g} = {_money(off)}.\n"
         f"Then subtract it from the original price: {_money(price)} − {_money(off)} = {_money(price - off)}.\n\n"
         f"The sale price is **{_money(price - off)}**.")
    return q, a


def _speed(rng):
    hours = rng.choice([2, 3, 4, 5])
    speed = rng.choice([60, 72, 85, 90, 110])
    dist, other = speed * hours, rng.choice([150, 255, 340, 425])
    vehicle = rng.choice(["A train", "A bus", "A car", "A coach"])
    q = _pick([f"{vehicle} travels {dist} km in {hours} hours. What is its average speed, and how long would it take "
               f"to cover {other} km at that speed?",
               f"If {vehicle.lower()} covers {dist} km in {hours} hours, what's its average speed? "
               f"At the same speed, how long would {other} km take?"], dist, hours, other)
    t = Fraction(other, speed)
    h, m = int(t), round((t - int(t)) * 60)
    a = (f"Average speed = distance ÷ time = {dist} km ÷ {hours} h = {speed} km/h.\n\n"
         f"Time for {other} km = {other} ÷ {speed} = {float(t):.3g} hours, which is {h} h {m} min.\n\n"
         f"So the average speed is **{speed} km/h** and {other} km would take about **{h} h {m} min**.")
    return q, a


def _linear(rng):
    x, a, b = rng.randint(-9, 12), rng.choice([2, 3, 4, 5, 7]), rng.randint(-20, 20)
    c = a * x + b
    sign = "+" if b >= 0 else "−"
    q = rng.choice(["Solve for x: {a}x {s} {b} = {c}", "Find x if {a}x {s} {b} = {c}. Show your steps."]).format(
        a=a, s=sign, b=abs(b), c=c)
    move = "Subtract" if b >= 0 else "Add"
    a_text = (f"{move} {abs(b)} on both sides: {a}x = {c} {'−' if b >= 0 else '+'} {abs(b)} = {c - b}.\n"
              f"Divide both sides by {a}: x = {c - b} ÷ {a} = {x}.\n\n"
              f"Check: {a} × {x if x >= 0 else f'({x})'} {sign} {abs(b)} = {c} ✓\n\n**x = {x}**")
    return q, a_text


def _fence(rng):
    length, width, cost = rng.choice([12, 15, 18, 20, 24]), rng.choice([6, 8, 9, 10]), rng.choice([7.5, 12, 15, 22])
    per = 2 * (length + width)
    q = _pick([f"A rectangular garden is {length} m long and {width} m wide. What is its area, and how much would it "
               f"cost to put a fence around it if fencing costs {_money(cost)} per metre?",
               f"I'm fencing {'an' if length in (8, 11, 18) else 'a'} {length} m by {width} m rectangular plot and fencing costs {_money(cost)} a metre. "
               f"What's the area of the plot and the total cost of the fence?"], length, width, cost)
    a = (f"Area = length × width = {length} × {width} = {length * width} m².\n"
         f"Perimeter = 2 × (length + width) = 2 × ({length} + {width}) = {per} m.\n"
         f"Fence cost = {per} m × {_money(cost)}/m = {_money(per * cost)}.\n\n"
         f"The garden has an area of **{length * width} m²** and fencing it costs **{_money(per * cost)}**.")
    return q, a


def _mean_needed(rng):
    scores = [rng.randint(62, 95) for _ in range(4)]
    target = rng.choice([80, 82, 85])
    needed = target * 5 - sum(scores)
    listed = ", ".join(map(str, scores))
    q = _pick([f"My first four test scores are {listed}. What is my current average, and what do I need on the fifth "
               f"test to finish with an average of {target}?",
               f"I scored {listed} on the first four quizzes of the term. What's my average so far, and what do I need "
               f"on the last quiz to end up averaging {target}?"], *scores, target)
    mean = sum(scores) / 4
    a = (f"Current total: {' + '.join(map(str, scores))} = {sum(scores)}, so the average is {sum(scores)} ÷ 4 = {mean:g}.\n\n"
         f"For an average of {target} over five tests, the total must be {target} × 5 = {target * 5}.\n"
         f"Score needed = {target * 5} − {sum(scores)} = {needed}.\n\n")
    a += (f"You need **{needed}** on the fifth test." if needed <= 100 else
          f"That would require {needed}, which is above 100, so an average of {target} is no longer reachable.")
    return q, a


def _compound(rng):
    p, r, n = rng.choice([1000, 2500, 5000, 12000]), rng.choice([3, 4, 5, 6]), rng.choice([3, 5, 10])
    amount = p * (1 + r / 100) ** n
    q = _pick([f"If I invest {_money(p)} at {r}% interest compounded annually, how much will I have after {n} years?",
               f"{_money(p)} sits in a savings account paying {r}% a year, compounded annually. "
               f"What is the balance after {n} years?"], p, r, n)
    a = (f"Use A = P(1 + r)^n with P = {p}, r = {r/100:g} and n = {n}.\n"
         f"A = {p} × {1 + r/100:g}^{n} = {p} × {(1 + r/100) ** n:.4f} ≈ {_money(amount)}.\n\n"
         f"After {n} years you would have about **{_money(amount)}**, of which {_money(amount - p)} is interest.")
    return q, a


def _ratio(rng):
    p, q_ = rng.choice([(2, 3), (3, 5), (1, 4), (4, 5), (3, 7)])
    unit = rng.choice([6, 8, 12, 15])
    total = (p + q_) * unit
    a_name, b_name = rng.choice([("Maya", "Leo"), ("Sam", "Priya"), ("Ines", "Tom"), ("Kofi", "Anna")])
    thing = rng.choice(["sweets", "euros", "stickers", "marbles"])
    q = _pick([f"{a_name} and {b_name} share {total} {thing} in the ratio {p}:{q_}. How many does each get?",
               f"Split {total} {thing} between {a_name} and {b_name} in the ratio {p}:{q_}. How many does each of "
               f"them receive?"], total, p, q_)
    a = (f"The ratio has {p} + {q_} = {p + q_} parts in total.\n"
         f"One part = {total} ÷ {p + q_} = {unit}.\n"
         f"{a_name} gets {p} × {unit} = {p * unit} and {b_name} gets {q_} × {unit} = {q_ * unit}.\n\n"
         f"Check: {p * unit} + {q_ * unit} = {total} ✓")
    return q, a


def _pipes(rng):
    a_h, b_h = rng.choice([(3, 6), (4, 12), (2, 3), (6, 10), (5, 20)])
    together = Fraction(1, 1) / (Fraction(1, a_h) + Fraction(1, b_h))
    q = _pick([f"One pipe fills a tank in {a_h} hours and a second pipe fills it in {b_h} hours. How long do they take "
               f"together?",
               f"A garden pond fills in {a_h} hours from one hose and in {b_h} hours from another. How long does it "
               f"take with both hoses running?"], a_h, b_h)
    minutes = round(float(together) * 60)
    a = (f"Pipe A fills 1/{a_h} of the tank per hour and pipe B fills 1/{b_h}.\n"
         f"Together: 1/{a_h} + 1/{b_h} = {Fraction(1, a_h) + Fraction(1, b_h)} of the tank per hour.\n"
         f"Time = 1 ÷ {Fraction(1, a_h) + Fraction(1, b_h)} = {together} hours"
         + (f" ≈ {minutes // 60} h {minutes % 60} min." if minutes % 60 else "."))
    return q, a


def _value(rng):
    n1, p1, n2, p2 = rng.choice([(6, 4.2, 10, 6.5), (12, 9.6, 20, 15.0), (4, 3.8, 9, 8.1), (250, 2.5, 400, 3.6)])
    unit = "g" if n1 >= 250 else "cans"
    u1, u2 = p1 / n1, p2 / n2
    q = _pick([f"Which is better value: {n1} {unit} for {_money(p1)} or {n2} {unit} for {_money(p2)}?",
               f"Is it cheaper to buy {n1} {unit} for {_money(p1)} or {n2} {unit} for {_money(p2)}?"], n1, p1, n2, p2)
    better = "first" if u1 < u2 else "second"
    a = (f"Compare the price per unit:\n- {_money(p1)} ÷ {n1} = ${u1:.4f} per {unit.rstrip('s')}\n"
         f"- {_money(p2)} ÷ {n2} = ${u2:.4f} per {unit.rstrip('s')}\n\n")
    a += ("Both cost the same per unit." if abs(u1 - u2) < 1e-9 else
          f"The **{better}** option is cheaper per unit, by about {abs(u1 - u2) / max(u1, u2) * 100:.0f}%.")
    return q, a


def _pct_change(rng):
    old, new = rng.choice([(80, 92), (250, 215), (1200, 1350), (64, 48), (3.5, 4.2)])
    change = (new - old) / old * 100
    what = rng.choice(["The price of a monthly bus pass", "A company's weekly sales", "The rent for a flat", "Average daily visitors"])
    q = _pick([f"{what} went from {old:g} to {new:g}. What is the percentage change?",
               f"{what} moved from {old:g} to {new:g}. By what percentage did it change?"], old, new)
    word = "increase" if change > 0 else "decrease"
    a = (f"Percentage change = (new − old) ÷ old × 100 = ({new:g} − {old:g}) ÷ {old:g} × 100 = {new - old:+g} ÷ {old:g} × 100 "
         f"= {change:+.1f}%.\n\nThat is a **{abs(change):.1f}% {word}**.")
    return q, a


def _marbles(rng):
    red, blue = rng.choice([(3, 5), (4, 6), (5, 7), (2, 8)])
    total = red + blue
    prob = Fraction(red, total) * Fraction(red - 1, total - 1)
    q = _pick([f"A bag holds {red} red and {blue} blue marbles. If I draw two without replacement, what is the "
               f"probability both are red?",
               f"A bag holds {red} red and {blue} blue marbles. Two are taken out at random, one after the other, "
               f"without putting the first back. What is the chance that both are red?"], red, blue)
    a = (f"First draw: P(red) = {red}/{total}.\n"
         f"Second draw, given the first was red: {red - 1} red left out of {total - 1}, so {red - 1}/{total - 1}.\n"
         f"Multiply: {red}/{total} × {red - 1}/{total - 1} = {red * (red - 1)}/{total * (total - 1)} = {prob} ≈ {float(prob):.3f}.")
    return q, a


def _quadratic(rng):
    r1, r2 = rng.sample([-5, -4, -3, -2, -1, 1, 2, 3, 4, 6], 2)
    b, c = -(r1 + r2), r1 * r2
    equation = f"x² {'+' if b >= 0 else '−'} {abs(b)}x {'+' if c >= 0 else '−'} {abs(c)} = 0"
    q = _pick([f"Solve {equation}.", f"Find both roots of {equation} by factoring."], r1, r2)
    a = (f"Look for two numbers that multiply to {c} and add to {b}: they are {-r1} and {-r2}.\n"
         f"So the equation factors as (x {'−' if r1 >= 0 else '+'} {abs(r1)})(x {'−' if r2 >= 0 else '+'} {abs(r2)}) = 0.\n"
         f"Each factor can be zero, giving **x = {r1}** or **x = {r2}**.")
    return q, a


def _hypotenuse(rng):
    a_, b_ = rng.choice([(5, 12), (8, 15), (7, 24), (9, 12), (6, 8), (20, 21)])
    c = math.hypot(a_, b_)
    q = _pick([f"A ladder reaches {b_} m up a wall, with its foot {a_} m from the wall. How long is the ladder?",
               f"How long must a ladder be to reach {b_} m up a wall if its foot stands {a_} m from the wall?"], b_, a_)
    a = (f"The wall, the ground and the ladder form a right triangle, so by Pythagoras:\n"
         f"ladder² = {a_}² + {b_}² = {a_ * a_} + {b_ * b_} = {a_ * a_ + b_ * b_}\n"
         f"ladder = √{a_ * a_ + b_ * b_} = {c:g} m.")
    return q, a


MATH_TEMPLATES = [_discount, _speed, _linear, _fence, _mean_needed, _compound, _ratio, _pipes, _value,
                  _pct_change, _marbles, _quadratic, _hypotenuse]


def math_items(rng: random.Random, per_template: int = 3) -> list[tuple[str, str]]:
    """(question, worked answer) pairs; draws whose leading numbers repeat are skipped, so the only
    duplicates in the sample are the planted ones (same numbers, other wording = near duplicate)."""
    out = []
    for template in MATH_TEMPLATES:
        seen: set[tuple[str, ...]] = set()
        tries = made = 0
        while made < per_template and tries < 50:
            tries += 1
            q, a = template(rng)
            numbers = tuple(re.findall(r"\d+(?:\.\d+)?", q)[:2])
            if numbers not in seen:
                seen.add(numbers)
                out.append((q, a))
                made += 1
    return out


CONVERSIONS = [
    ("How many miles is a {v:g} km run?", 10, lambda v: v * 0.621371, "miles",
     "1 km ≈ 0.621371 miles, so {v:g} km × 0.621371 ≈ {r:.2f} miles."),
    ("Convert {v:g} °F to Celsius.", 98.6, lambda v: (v - 32) * 5 / 9, "°C",
     "°C = (°F − 32) × 5/9 = ({v:g} − 32) × 5/9 = {r:.1f} °C."),
    ("It's {v:g} °C outside. What is that in Fahrenheit?", 28, lambda v: v * 9 / 5 + 32, "°F",
     "°F = °C × 9/5 + 32 = {v:g} × 1.8 + 32 = {r:.1f} °F."),
    ("My suitcase weighs {v:g} kg. How many pounds is that?", 23, lambda v: v * 2.20462, "lb",
     "1 kg ≈ 2.20462 lb, so {v:g} kg ≈ {r:.1f} lb."),
    ("How many litres are in {v:g} US gallons?", 5, lambda v: v * 3.78541, "L",
     "1 US gallon = 3.78541 L, so {v:g} gallons = {r:.2f} L."),
    ("Convert {v:g} inches to centimetres.", 27, lambda v: v * 2.54, "cm",
     "1 inch = 2.54 cm exactly, so {v:g} in = {r:.2f} cm."),
    ("How many seconds are there in {v:g} days?", 3, lambda v: v * 86400, "s",
     "One day has 24 × 60 × 60 = 86,400 seconds, so {v:g} days = {r:,.0f} seconds."),
    ("A recipe needs {v:g} cups of flour. Roughly how many grams is that?", 2.5, lambda v: v * 125, "g",
     "A US cup of all-purpose flour weighs about 125 g, so {v:g} cups ≈ {r:.0f} g. Weighing is more accurate than scooping."),
    ("What is {v:g} MB in gigabytes?", 3500, lambda v: v / 1000, "GB",
     "With decimal (SI) units, 1 GB = 1,000 MB, so {v:g} MB = {r:g} GB. In binary units (GiB), it is {v:g} ÷ 1,024 ≈ {b:.2f} GiB."),
    ("How fast is {v:g} knots in km/h?", 20, lambda v: v * 1.852, "km/h",
     "1 knot = 1 nautical mile per hour = 1.852 km/h, so {v:g} knots = {r:.1f} km/h."),
]


def conversion_items() -> list[tuple[str, str]]:
    out = []
    for prompt, value, convert, _unit, explain in CONVERSIONS:
        result = convert(value)
        out.append((prompt.format(v=value), explain.format(v=value, r=result, b=value / 1024)))
    return out


# (instruction, text, answer object) — the answer is serialised with json.dumps, so it is valid.
EXTRACTIONS = [
    ("Extract the person's name, age and city as JSON with keys name, age, city.",
     "Maria Lopez, 34, moved to Valencia last spring to open a small ceramics studio.",
     {"name": "Maria Lopez", "age": 34, "city": "Valencia"}),
    ("Extract the event details as JSON (title, date in ISO format, venue, price_eur).",
     "Join us for Jazz on the Quay on Saturday 14 September 2024 at the Old Customs House. Tickets €18.",
     {"title": "Jazz on the Quay", "date": "2024-09-14", "venue": "Old Customs House", "price_eur": 18}),
    ("Return the product attributes from this listing as a JSON object.",
     "Lightweight 14-inch laptop, 16 GB RAM, 512 GB SSD, 1.2 kg, available in silver or midnight blue.",
     {"screen_inches": 14, "ram_gb": 16, "storage_gb": 512, "weight_kg": 1.2, "colors": ["silver", "midnight blue"]}),
    ("Convert this shopping list into a JSON array of objects with item and quantity.",
     "3 apples, 2 litres of milk, a loaf of bread, 6 eggs",
     [{"item": "apples", "quantity": 3}, {"item": "milk", "quantity": "2 litres"},
      {"item": "bread", "quantity": 1}, {"item": "eggs", "quantity": 6}]),
    ("Classify the sentiment of each review and answer as JSON: {\"id\": label}.",
     "r1: Love it, works perfectly. r2: Broke after one use. r3: It's fine, I guess.",
     {"r1": "positive", "r2": "negative", "r3": "neutral"}),
    ("Extract all dates mentioned in the text as a JSON list of ISO dates.",
     "The contract was signed on 3 March 2023, amended on 18 July 2023 and expires on 2 March 2026.",
     ["2023-03-03", "2023-07-18", "2026-03-02"]),
    ("Parse this address into JSON with street, city, postcode and country.",
     "221B Baker Street, London NW1 6XE, United Kingdom",
     {"street": "221B Baker Street", "city": "London", "postcode": "NW1 6XE", "country": "United Kingdom"}),
    ("Turn this recipe ingredient line into structured JSON (quantity, unit, ingredient, preparation).",
     "2 tablespoons olive oil, divided",
     {"quantity": 2, "unit": "tablespoon", "ingredient": "olive oil", "preparation": "divided"}),
    ("Extract the flight information as JSON.",
     "Your flight LH 1173 from Frankfurt (FRA) to Lisbon (LIS) departs at 09:40 on 22 May from gate B44.",
     {"flight": "LH 1173", "from": "FRA", "to": "LIS", "departure_time": "09:40", "date": "05-22", "gate": "B44"}),
    ("Give me a JSON object describing this book: title, author, year, genres.",
     "Dune by Frank Herbert (1965) — a science-fiction epic of politics, ecology and religion on a desert planet.",
     {"title": "Dune", "author": "Frank Herbert", "year": 1965, "genres": ["science fiction", "epic"]}),
    ("Extract the key figures from this earnings sentence as JSON.",
     "Revenue rose 12% to $4.3 billion, while operating margin fell from 18.2% to 16.9%.",
     {"revenue_usd_billion": 4.3, "revenue_growth_pct": 12, "operating_margin_pct": {"previous": 18.2, "current": 16.9}}),
    ("Return a JSON object with the meeting's attendees and action items.",
     "Attendees: Rui, Hana, Pieter. Actions: Rui to send the draft by Friday; Hana to book the venue.",
     {"attendees": ["Rui", "Hana", "Pieter"],
      "action_items": [{"owner": "Rui", "task": "send the draft", "due": "Friday"},
                       {"owner": "Hana", "task": "book the venue", "due": None}]}),
]


def extraction_items() -> list[tuple[str, str, str]]:
    return [(instr, text, json.dumps(obj, ensure_ascii=False, indent=2 if i % 2 else None))
            for i, (instr, text, obj) in enumerate(EXTRACTIONS)]
