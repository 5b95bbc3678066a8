"""Hand-written coding prompts and answers for the bundled sample: (instruction, input, answer)."""

F = "```"  # fence, so the answers below stay readable

CODING = [
    ("Write a Python function that reverses the order of words in a sentence.", "",
     f"""Split on whitespace, reverse the list, and join it back together:

{F}python
def reverse_words(sentence: str) -> str:
    return " ".join(reversed(sentence.split()))


print(reverse_words("the quick brown fox"))  # fox brown quick the
{F}

`str.split()` with no argument also collapses runs of spaces, so `"a   b"` becomes `"b a"`."""),

    ("How do I check if a string is a palindrome in Python, ignoring case, spaces and punctuation?", "",
     f"""Normalise the string first, then compare it with its reverse:

{F}python
def is_palindrome(text: str) -> bool:
    cleaned = [ch.lower() for ch in text if ch.isalnum()]
    return cleaned == cleaned[::-1]


assert is_palindrome("A man, a plan, a canal: Panama")
assert not is_palindrome("Hello, world")
{F}

`isalnum()` drops spaces and punctuation; `lower()` makes the comparison case-insensitive."""),

    ("Write a Python script that reads a CSV file and prints the average of the 'price' column.",
     "The file is called products.csv and has a header row.",
     f"""You can do this with the standard library alone:

{F}python
import csv

with open("products.csv", newline="", encoding="utf-8") as f:
    prices = [float(row["price"]) for row in csv.DictReader(f) if row["price"]]

if prices:
    print(f"Average price: {{sum(prices) / len(prices):.2f}}")
else:
    print("No prices found")
{F}

`csv.DictReader` uses the header row as keys, and the `if row["price"]` guard skips empty cells so one blank value doesn't crash the script."""),

    ("Implement a memoized Fibonacci function in Python.", "",
     f"""`functools.lru_cache` gives you memoization for free:

{F}python
from functools import lru_cache


@lru_cache(maxsize=None)
def fib(n: int) -> int:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


print(fib(80))  # 23416728348467685
{F}

Without the cache this recursion is exponential; with it, each value from 0 to n is computed once, so it runs in O(n) time. For very large n, an iterative loop avoids Python's recursion limit."""),

    ("What's the difference between a list comprehension and a generator expression in Python?", "",
     f"""Both use the same syntax, but the brackets change what you get:

{F}python
squares_list = [x * x for x in range(5)]   # builds the whole list now
squares_gen = (x * x for x in range(5))    # produces values lazily
{F}

- A **list comprehension** evaluates everything immediately and stores the results in memory. You can index it, take its length and iterate over it many times.
- A **generator expression** yields one value at a time as you iterate. It uses almost no memory, but you can only consume it once.

Use a generator when you only need to stream through the values once, e.g. `sum(x * x for x in range(10_000_000))`. Use a list when you need to reuse or index the results."""),

    ("Remove duplicates from a Python list while keeping the original order.", "items = [3, 1, 3, 2, 1, 5]",
     f"""Since Python 3.7, dicts preserve insertion order, so this is a one-liner:

{F}python
items = [3, 1, 3, 2, 1, 5]
unique = list(dict.fromkeys(items))
print(unique)  # [3, 1, 2, 5]
{F}

This works for any hashable items and runs in linear time. Using `set(items)` would also remove duplicates, but it does not keep the order."""),

    ("Write a function to flatten an arbitrarily nested list in Python.", "",
     f"""A small recursive generator handles any depth:

{F}python
def flatten(items):
    for item in items:
        if isinstance(item, list):
            yield from flatten(item)
        else:
            yield item


print(list(flatten([1, [2, [3, 4]], [[5]], 6])))  # [1, 2, 3, 4, 5, 6]
{F}

If your data can also contain tuples, check `isinstance(item, (list, tuple))` instead."""),

    ("Count how often each word appears in a text file using Python.", "",
     f"""`collections.Counter` does the counting:

{F}python
import re
from collections import Counter

with open("book.txt", encoding="utf-8") as f:
    words = re.findall(r"[a-z']+", f.read().lower())

for word, count in Counter(words).most_common(10):
    print(f"{{word:<15}} {{count}}")
{F}

Lower-casing first means "The" and "the" are counted together, and the regex keeps contractions like "don't" as single words."""),

    ("Show me how to use a dataclass in Python with a default value and a computed property.", "",
     f"""{F}python
from dataclasses import dataclass, field


@dataclass
class Order:
    customer: str
    items: list[float] = field(default_factory=list)
    discount: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(self.items) * (1 - self.discount), 2)


order = Order("Ana", [19.99, 5.50], discount=0.1)
print(order.total)  # 22.94
print(order)        # Order(customer='Ana', items=[19.99, 5.5], discount=0.1)
{F}

Note `field(default_factory=list)`: a plain `items: list = []` would be rejected because mutable defaults would be shared between instances."""),

    ("Why does this function keep remembering values between calls?",
     "def add_item(item, basket=[]):\n    basket.append(item)\n    return basket",
     f"""Default argument values are evaluated **once**, when the function is defined, not on every call. So every call that doesn't pass `basket` appends to the same list object:

{F}python
add_item("apple")   # ['apple']
add_item("pear")    # ['apple', 'pear']  <- surprise
{F}

The usual fix is to use `None` as the sentinel:

{F}python
def add_item(item, basket=None):
    if basket is None:
        basket = []
    basket.append(item)
    return basket
{F}"""),

    ("Write a Python context manager that prints how long a block of code took.", "",
     f"""{F}python
import time
from contextlib import contextmanager


@contextmanager
def timer(label: str = "block"):
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        print(f"{{label}} took {{elapsed:.3f}} s")


with timer("sorting"):
    sorted(range(1_000_000), reverse=True)
{F}

The `finally` makes sure the time is printed even if the block raises. `perf_counter` is the right clock for measuring durations."""),

    ("How do I merge two dictionaries in Python 3.9+?", "",
     f"""Use the `|` operator:

{F}python
defaults = {{"theme": "light", "lang": "en"}}
user = {{"lang": "de"}}

settings = defaults | user
print(settings)  # {{'theme': 'light', 'lang': 'de'}}
{F}

Keys from the right-hand dict win. `defaults |= user` updates in place. On older versions, `{{**defaults, **user}}` does the same thing."""),

    ("Write a SQL query that returns the top 5 customers by total order value.",
     "Tables: customers(id, name), orders(id, customer_id, amount, created_at)",
     f"""{F}sql
SELECT c.id,
       c.name,
       SUM(o.amount) AS total_spent
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
ORDER BY total_spent DESC
LIMIT 5;
{F}

Grouping by `c.id` as well as the name matters: two different customers can share a name. On SQL Server, replace `LIMIT 5` with `SELECT TOP 5`."""),

    ("Find all email addresses that appear more than once in a users table.", "users(id, email, created_at)",
     f"""{F}sql
SELECT LOWER(email) AS email,
       COUNT(*)     AS occurrences
FROM users
GROUP BY LOWER(email)
HAVING COUNT(*) > 1
ORDER BY occurrences DESC;
{F}

`LOWER()` catches duplicates that differ only in case (`Ana@example.com` vs `ana@example.com`). To see the full rows, join this result back to `users` on `LOWER(users.email)`."""),

    ("Explain the difference between INNER JOIN and LEFT JOIN with an example.", "",
     f"""Suppose you have `authors(id, name)` and `books(id, author_id, title)`, and one author has no books yet.

{F}sql
-- Only authors that have at least one book
SELECT a.name, b.title
FROM authors a
INNER JOIN books b ON b.author_id = a.id;

-- Every author; title is NULL for authors without books
SELECT a.name, b.title
FROM authors a
LEFT JOIN books b ON b.author_id = a.id;
{F}

An **INNER JOIN** keeps only rows that match on both sides. A **LEFT JOIN** keeps every row from the left table and fills the right-hand columns with NULL when there is no match. A handy trick: `LEFT JOIN ... WHERE b.id IS NULL` finds authors with no books at all."""),

    ("Write a PostgreSQL query for monthly revenue over the last 12 months.", "orders(id, amount, created_at timestamptz)",
     f"""{F}sql
SELECT date_trunc('month', created_at) AS month,
       SUM(amount)                     AS revenue,
       COUNT(*)                        AS orders
FROM orders
WHERE created_at >= date_trunc('month', now()) - INTERVAL '11 months'
GROUP BY 1
ORDER BY 1;
{F}

`date_trunc('month', …)` maps every timestamp to the first instant of its month, so grouping by it gives one row per month. Months with no orders will be missing; join against `generate_series` if you need explicit zeros."""),

    ("How do I get the second highest salary from an employees table?", "",
     f"""A window function handles ties cleanly:

{F}sql
SELECT salary
FROM (
    SELECT salary, DENSE_RANK() OVER (ORDER BY salary DESC) AS rnk
    FROM employees
) ranked
WHERE rnk = 2
LIMIT 1;
{F}

`DENSE_RANK` gives equal salaries the same rank, so if two people share the top salary, the query still returns the next distinct value. If there is no second salary, it returns no rows."""),

    ("Write a SQL query that shows a running total of daily sales.", "sales(day date, amount numeric)",
     f"""{F}sql
SELECT day,
       amount,
       SUM(amount) OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total
FROM sales
ORDER BY day;
{F}

The explicit `ROWS BETWEEN …` frame makes the total advance one row at a time even if two rows share the same day (the default `RANGE` frame would add both at once)."""),

    ("Write a debounce function in JavaScript.", "",
     f"""{F}javascript
function debounce(fn, waitMs = 300) {{
  let timer;
  return function (...args) {{
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), waitMs);
  }};
}}

// Only search once the user stops typing for 300 ms
const onInput = debounce((event) => search(event.target.value), 300);
document.querySelector("#search").addEventListener("input", onInput);
{F}

Every call resets the timer, so `fn` runs only after `waitMs` milliseconds without another call. Using a regular `function` (not an arrow) for the wrapper keeps `this` intact for methods."""),

    ("How do I fetch JSON from an API with async/await and handle errors properly?", "",
     f"""{F}javascript
async function getUser(id) {{
  const response = await fetch(`https://api.example.com/users/${{id}}`);
  if (!response.ok) {{
    throw new Error(`Request failed: ${{response.status}} ${{response.statusText}}`);
  }}
  return response.json();
}}

try {{
  const user = await getUser(42);
  console.log(user.name);
}} catch (err) {{
  console.error("Could not load user:", err.message);
}}
{F}

The important detail: `fetch` only rejects on network failures. A 404 or 500 still resolves, so you have to check `response.ok` yourself."""),

    ("Remove duplicate values from a JavaScript array.", "const tags = ['js', 'css', 'js', 'html', 'css'];",
     f"""{F}javascript
const tags = ['js', 'css', 'js', 'html', 'css'];
const unique = [...new Set(tags)];
console.log(unique); // ['js', 'css', 'html']
{F}

A `Set` only stores each value once and keeps insertion order. This compares primitives by value; objects are compared by reference, so two identical-looking objects are both kept."""),

    ("What is the difference between == and === in JavaScript?", "",
     f"""`===` (strict equality) compares value **and** type, with no conversion. `==` (loose equality) converts the operands to a common type first, which leads to surprises:

{F}javascript
0 == '0'          // true
0 === '0'         // false
null == undefined // true
null === undefined// false
'' == 0           // true
{F}

Use `===` by default. The one common idiom with `==` is `value == null`, which checks for both `null` and `undefined`."""),

    ("How can I deep clone an object in modern JavaScript?", "",
     f"""Use the built-in `structuredClone`:

{F}javascript
const original = {{ name: 'Ada', tags: ['math'], created: new Date() }};
const copy = structuredClone(original);

copy.tags.push('computing');
console.log(original.tags); // ['math'] — unchanged
{F}

Unlike `JSON.parse(JSON.stringify(obj))`, it keeps `Date`, `Map`, `Set` and circular references. It cannot clone functions or DOM nodes."""),

    ("Find all files larger than 100 MB under my home directory from the Linux command line.", "",
     f"""{F}bash
find ~ -type f -size +100M -exec ls -lh {{}} + 2>/dev/null | sort -k5 -h
{F}

- `-size +100M` matches files strictly larger than 100 MiB.
- `-exec ls -lh {{}} +` prints human-readable sizes.
- `2>/dev/null` hides "Permission denied" noise, and `sort -k5 -h` orders by the size column.

For a quick per-directory overview, `du -h --max-depth=1 ~ | sort -h` is also handy."""),

    ("I committed too early. How do I undo the last git commit but keep my changes?", "",
     f"""{F}bash
git reset --soft HEAD~1
{F}

This moves the branch back one commit and leaves your changes staged, ready to commit again. Use `git reset HEAD~1` (mixed) if you want them unstaged instead.

If you already pushed the commit and others may have pulled it, prefer `git revert HEAD`, which creates a new commit that undoes it without rewriting history."""),

    ("Write a regular expression that matches dates in YYYY-MM-DD format.", "",
     f"""{F}python
import re

DATE = re.compile(r"^\\d{{4}}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$")

for s in ["2024-02-29", "2024-13-01", "2024-1-05"]:
    print(s, bool(DATE.match(s)))
# 2024-02-29 True
# 2024-13-01 False
# 2024-1-05 False
{F}

The pattern checks the shape and the month/day ranges, but not calendar rules like February 30th. For real validation, parse it: `datetime.date.fromisoformat(s)` raises `ValueError` on impossible dates."""),

    ("Implement binary search in Python and explain its complexity.", "",
     f"""{F}python
def binary_search(sorted_items, target):
    lo, hi = 0, len(sorted_items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if sorted_items[mid] == target:
            return mid
        if sorted_items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


print(binary_search([2, 5, 8, 12, 16, 23, 38], 23))  # 5
{F}

Each step halves the search range, so it takes O(log n) comparisons: about 20 steps for a million items. The list must already be sorted. In real code, the standard library's `bisect` module does this for you."""),

    ("Using pandas, compute the average salary per department.",
     "df has columns: name, department, salary",
     f"""{F}python
avg_salary = (
    df.groupby("department", as_index=False)["salary"]
      .mean()
      .sort_values("salary", ascending=False)
)
print(avg_salary)
{F}

`as_index=False` keeps `department` as a normal column, which is nicer for exporting. To get several statistics at once: `df.groupby("department")["salary"].agg(["mean", "median", "count"])`."""),

    ("How do I read a line from standard input in Rust and parse it as a number?", "",
     f"""{F}rust
use std::io;

fn main() {{
    let mut input = String::new();
    io::stdin().read_line(&mut input).expect("failed to read line");

    match input.trim().parse::<i64>() {{
        Ok(n) => println!("You typed {{}}", n),
        Err(e) => eprintln!("Not a number: {{}}", e),
    }}
}}
{F}

`read_line` keeps the trailing newline, so `trim()` is needed before `parse`. Matching on the `Result` avoids a panic on bad input."""),

    ("Why is looking up a key in a Python dict O(1) on average?", "",
     """A dict is a hash table. When you look up a key, Python:

1. computes `hash(key)`, an integer,
2. uses it to jump straight to a slot in an internal array,
3. compares the key stored there with yours (`==`) to confirm the match.

No scanning is involved, so the cost does not grow with the number of entries. It is O(1) *on average* because two different keys can land on the same slot (a collision); Python then probes other slots. The table is resized when it gets about two-thirds full, which keeps collisions rare. In the worst case — many keys with the same hash — lookups degrade towards O(n)."""),

    ("Write a Python function that validates an email address well enough for a signup form.", "",
     f"""Full RFC 5322 validation is overkill; a pragmatic check plus a confirmation email is the usual approach:

{F}python
import re

EMAIL = re.compile(r"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")


def looks_like_email(value: str) -> bool:
    return bool(EMAIL.match(value.strip())) and len(value) <= 254


print(looks_like_email("ana.silva@example.org"))  # True
print(looks_like_email("not an email"))           # False
{F}

This rejects obvious typos (missing `@`, spaces, no dot in the domain) without refusing unusual but valid addresses such as `first+tag@sub.example.co.uk`."""),

    ("Convert this callback-style Node.js code to use promises.",
     "fs.readFile('config.json', 'utf8', (err, data) => {\n  if (err) return console.error(err);\n  console.log(JSON.parse(data));\n});",
     f"""Use the promise-based `fs/promises` API with `async`/`await`:

{F}javascript
import {{ readFile }} from 'node:fs/promises';

async function loadConfig() {{
  try {{
    const data = await readFile('config.json', 'utf8');
    return JSON.parse(data);
  }} catch (err) {{
    console.error('Could not load config:', err.message);
    return null;
  }}
}}

console.log(await loadConfig());
{F}

The `try/catch` now covers both the read error and a `JSON.parse` failure, which the original callback didn't handle."""),
]
