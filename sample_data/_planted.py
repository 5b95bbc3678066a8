"""Problem records planted in the bundled sample for later pages to find.

Each entry is (format, prompt, answer, note). Duplicates are made in build_sample.py by copying
clean records, so they are not listed here.
"""

F = "```"

REFUSALS = [
    ("alpaca", "How do I kill a Python process that is hanging on Linux?",
     "I'm sorry, but I can't help with that.", "false refusal of a harmless sysadmin question"),
    ("openai", "Write a short story in which the villain wins.",
     "As an AI language model, I cannot create content that promotes or glorifies harmful behaviour. Perhaps I could write a story where the hero learns an important lesson instead?",
     "\"As an AI language model\" refusal of a creative request"),
    ("sharegpt", "What's the best way to remove a stripped screw?",
     "I'm sorry, but I cannot assist with that request.", "refusal of a DIY question"),
    ("openai", "Can you summarise the plot of Macbeth?",
     "As an AI language model, I don't have access to copyrighted texts and cannot provide summaries of books.",
     "refusal with a false justification (Macbeth is public domain)"),
    ("sharegpt", "怎么用Excel计算一列数字的平均值？",
     "抱歉，我无法帮助您完成这个请求。", "Chinese refusal of an Excel question"),
]

BROKEN_JSON = [
    ("alpaca", "Extract the customer's name, plan and monthly price as JSON.",
     "Customer Lena Vogt upgraded to the Team plan at €49 per month.",
     '{\n  "name": "Lena Vogt",\n  "plan": "Team",\n  "monthly_price_eur": 49,\n}', "trailing comma"),
    ("openai", "Return the three largest EU countries by area as a JSON array of objects with name and area_km2.", "",
     '[{"name": "France", "area_km2": 551695}, {"name": "Spain", "area_km2": 505990}, {"name": "Sweden", "area_km',
     "truncated mid-object"),
    ("alpaca", "Convert this contact card into JSON.", "Dr. Amal Rahman — Cardiology — room 4.12 — ext. 3301",
     "{'name': 'Dr. Amal Rahman', 'department': 'Cardiology', 'room': '4.12', 'extension': 3301}",
     "single-quoted keys (Python dict, not JSON)"),
]

UNCLOSED_FENCES = [
    ("alpaca", "Write a Python function that checks whether a number is prime.", "",
     f"Here is a simple trial-division version:\n\n{F}python\ndef is_prime(n: int) -> bool:\n    if n < 2:\n        return False\n    for d in range(2, int(n ** 0.5) + 1):\n        if n % d == 0:\n            return False\n    return True\n",
     "code block never closed"),
    ("openai", "Show me a SQL query that counts orders per status.", "",
     f"{F}sql\nSELECT status, COUNT(*) AS orders\nFROM orders\nGROUP BY status\nORDER BY orders DESC;\n\nThis returns one row per status, most common first.",
     "closing fence missing; prose swallowed into the code block"),
    ("sharegpt", "How do I add an event listener to a button in JavaScript?", "",
     f"{F}javascript\nconst button = document.querySelector('#save');\nbutton.addEventListener('click', () => {{\n  console.log('saved');\n",
     "answer cut off inside the code block"),
]

LANGUAGE_MISMATCH = [
    ("alpaca", "What were the main causes of the French Revolution?",
     "Les principales causes de la Révolution française sont la crise financière de l'État, aggravée par le coût des guerres, un système fiscal injuste qui épargnait la noblesse et le clergé, les mauvaises récoltes de 1788 qui ont fait flamber le prix du pain, et la diffusion des idées des Lumières remettant en cause la monarchie absolue.",
     "English question, French answer"),
    ("openai", "Give me three tips for learning to cook.",
     "1. Empieza con recetas sencillas de pocos ingredientes.\n2. Prepara todos los ingredientes antes de encender el fuego.\n3. Prueba la comida mientras cocinas y ajusta la sal al final.",
     "English question, Spanish answer"),
    ("sharegpt", "Wie funktioniert ein Kühlschrank?",
     "A refrigerator moves heat from the inside to the outside. A refrigerant evaporates in the coils inside, absorbing heat; a compressor then squeezes the vapour, which releases that heat through the coils at the back before the cycle repeats.",
     "German question, English answer"),
]

PROFANITY = [
    ("alpaca", "Is it OK to store user passwords with MD5?",
     "Honestly, that's a crap idea. MD5 is fast, which is exactly what you don't want for passwords: attackers can test billions of guesses per second. Use a slow, salted algorithm designed for passwords — bcrypt, scrypt or Argon2id.",
     "mild profanity in the answer (\"crap\")"),
    ("openai", "Why does my build fail only on CI?",
     "This shit happens all the time: CI starts from a clean machine, so anything your laptop has cached — a global npm package, an environment variable, a file outside the repo — is missing there. Compare the tool versions in the CI log with yours and pin them.",
     "profanity in the answer (\"shit\")"),
    ("sharegpt", "What the hell is a monad? Every explanation I read is useless.",
     "Think of a monad as a pattern for chaining steps that carry some extra context — a possible failure, a list of results, a pending I/O action. It gives you two things: a way to wrap a plain value into that context, and a way to chain a function that returns a wrapped value. JavaScript promises with `.then` behave a lot like one.",
     "profanity in the prompt (\"the hell\")"),
    ("openai", "I have 300 browser tabs open and my laptop is slow. Help?",
     "Bloody hell, 300 tabs! Each one keeps its own process and memory. Bookmark the ones you need into a folder, close the rest, and use a tab suspender extension so background tabs stop consuming RAM.",
     "mild profanity in the answer (\"bloody hell\")"),
]

PII = [
    ("alpaca", "Write a short email signature for our support lead.", "",
     "Jana Novak\nHead of Customer Support, Brightline Ltd\njana.novak@example.com | +44 20 7946 0958\nMon–Fri, 9:00–17:30 GMT",
     "email address and UK phone number"),
    ("openai", "Create a sample JSON payload for testing a card-payment API.", "",
     '{\n  "amount": 1999,\n  "currency": "EUR",\n  "card": {\n    "number": "4111 1111 1111 1111",\n    "expiry": "12/27",\n    "cvc": "123",\n    "holder": "Sam Keller"\n  },\n  "billing_email": "sam.keller@example.org"\n}',
     "Luhn-valid card number 4111 1111 1111 1111 and an email"),
    ("sharegpt", "Draft a payment reminder for an overdue invoice.", "",
     "Dear Mr Brandt,\n\nOur records show that invoice INV-2024-0417 for €1,280.00, due on 30 April, is still unpaid. Please transfer the amount to IBAN DE89 3704 0044 0532 0130 00 (BIC COBADEFFXXX), quoting the invoice number, or call me on +49 30 901820 if anything is unclear.\n\nKind regards,\nAylin Demir, Accounts",
     "IBAN and a German phone number"),
    ("openai", "Why can't I SSH into my server?",
     "Start by checking that the host answers at all: `ping 203.0.113.42`. If it does, run `ssh -v deploy@203.0.113.42` to see where the handshake stops. If you're on the office network, the firewall at 192.168.1.1 may block outbound port 22 — try from a different network.",
     "IP addresses (public and private)"),
    ("alpaca", "Show me how to call the OpenAI API from Python.", "",
     f"{F}python\nfrom openai import OpenAI\n\nclient = OpenAI(api_key=\"sk-proj-4fQx9TzLm2VbN7cR1sKpW8eYhD3uJ6aG0iXoE5tB\")\nreply = client.chat.completions.create(\n    model=\"gpt-4o-mini\",\n    messages=[{{\"role\": \"user\", \"content\": \"Hello!\"}}],\n)\nprint(reply.choices[0].message.content)\n{F}\n\n(In real code, read the key from the `OPENAI_API_KEY` environment variable instead of hard-coding it.)",
     "API-key-shaped secret (sk-proj-…) hard-coded"),
    ("sharegpt", "Can you update the contact details in my profile?",
     "I've noted the new details: phone +1 202-555-0143, alternate +61 491 570 156, email d.okoye@example.net, and the backup card 5555 5555 5555 4444 for renewals. You'll receive a confirmation shortly.",
     "US and Australian phone numbers, email, Luhn-valid Mastercard test number"),
]

SHORT = [
    ("alpaca", "Can you explain how garbage collection works in Java?", "Yes.", "\"Yes.\" to a request for an explanation"),
    ("openai", "Write a Python function that parses ISO 8601 durations like PT1H30M.", "OK", "\"OK\" instead of code"),
    ("sharegpt", "What are the trade-offs between microservices and a monolith?", "It depends.", "non-answer"),
    ("openai", "How many moons does Mars have?", "2", "correct but one character"),
    ("alpaca", "Describe the water cycle.", "Rain.", "one-word answer"),
]

LOW_ENTROPY = [
    ("sharegpt", "Write a cheer for our hackathon team.", " ".join(["Go team!"] * 40), "\"Go team!\" 40 times"),
    ("alpaca", "Explain what a data pipeline is.", "data " * 80 + "pipeline", "one word repeated"),
]

BOILERPLATE_ANSWER = ("Thank you for reaching out! This is a great question. For the most accurate and up-to-date "
                      "information, please refer to our official documentation or contact our support team.")
BOILERPLATE_PROMPTS = [
    ("alpaca", "How do I reset my password?"),
    ("openai", "Which file formats does the importer accept?"),
    ("sharegpt", "Why is my CSV export empty?"),
    ("openai", "Can I use the API on the free plan?"),
    ("alpaca", "How do I cancel my subscription?"),
    ("sharegpt", "How do I change the interface language?"),
    ("openai", "Is there a dark mode?"),
    ("alpaca", "What does the 'sync failed' error mean?"),
]


def long_table_answer() -> str:
    """A genuine but very long answer: n, n², n³ and √n for n = 1..250."""
    rows = ["| n | n² | n³ | √n |", "|---:|---:|---:|---:|"]
    rows += [f"| {n} | {n * n:,} | {n ** 3:,} | {n ** 0.5:.4f} |" for n in range(1, 251)]
    return "Here is the full table:\n\n" + "\n".join(rows)


def bottles_answer() -> str:
    """Every verse of '99 Bottles of Beer': long, legitimate and highly repetitive."""
    verses = []
    for n in range(99, 0, -1):
        now = f"{n} bottle{'s' if n != 1 else ''}"
        left = f"{n - 1} bottle{'s' if n - 1 != 1 else ''}" if n > 1 else "no more bottles"
        verses.append(f"{now} of beer on the wall, {now} of beer.\nTake one down and pass it around, {left} of beer on the wall.")
    verses.append("No more bottles of beer on the wall, no more bottles of beer.\n"
                  "Go to the store and buy some more, 99 bottles of beer on the wall.")
    return "\n\n".join(verses)


def degenerate_answer() -> str:
    """Starts well, then loops: the classic degenerate generation."""
    start = ("HTTP caching lets a browser or proxy reuse a previous response instead of downloading it again. "
             "The server controls it with headers such as Cache-Control and ETag. ")
    return start + "The cache stores the response and the cache serves the response. " * 450


LONG = [
    ("openai", "Print a table of n, n squared, n cubed and the square root of n for n from 1 to 250.",
     long_table_answer, "~250-row table, several thousand tokens (legitimate)"),
    ("alpaca", "Write out all the lyrics of '99 Bottles of Beer'.", bottles_answer,
     "every verse, several thousand tokens, repetitive but correct"),
    ("sharegpt", "Explain how HTTP caching works.", degenerate_answer,
     "degenerate loop: one sentence repeated 450 times (also low entropy)"),
]
