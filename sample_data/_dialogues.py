"""Hand-written multi-turn conversations (and tool calls) for the bundled sample.

Each dialogue is a list of (role, content) with role in system/user/assistant.
"""

F = "```"

DIALOGUES = [
    [("system", "You are a patient Python tutor. Keep answers short and show code."),
     ("user", "How do I open a file and read it line by line?"),
     ("assistant", f"Use a `with` block so the file is closed for you:\n\n{F}python\nwith open(\"notes.txt\", encoding=\"utf-8\") as f:\n    for line in f:\n        print(line.rstrip())\n{F}"),
     ("user", "What does rstrip do there?"),
     ("assistant", "Each line read from a file keeps its trailing newline `\\n`. `print` adds its own newline, so without `rstrip()` you would get blank lines between every line. `rstrip()` removes trailing whitespace, including that `\\n`."),
     ("user", "And if the file doesn't exist?"),
     ("assistant", f"`open` raises `FileNotFoundError`. Catch it if you want a friendly message:\n\n{F}python\ntry:\n    with open(\"notes.txt\", encoding=\"utf-8\") as f:\n        lines = f.read().splitlines()\nexcept FileNotFoundError:\n    print(\"notes.txt not found\")\n{F}")],

    [("user", "I'm planning a 3-day trip to Rome. What should I prioritise?"),
     ("assistant", "Three days is enough for the highlights if you group them by area:\n\n- **Day 1 – Ancient Rome**: Colosseum, Roman Forum and Palatine Hill (one combined ticket; book a timed slot).\n- **Day 2 – Vatican**: Vatican Museums and Sistine Chapel early in the morning, then St Peter's Basilica; evening in Trastevere.\n- **Day 3 – Centro storico**: Pantheon, Piazza Navona, Trevi Fountain and the Spanish Steps, all walkable.\n\nBook the Colosseum and Vatican tickets online in advance — queues can be hours long."),
     ("user", "We're travelling with a 6-year-old. Anything to change?"),
     ("assistant", "A few tweaks help a lot with a young child:\n\n- Keep mornings for the big sights and plan a break after lunch — a gelato stop or the playground in Villa Borghese.\n- The Vatican Museums are long; consider a family tour designed for kids, or focus on the Sistine Chapel and skip some galleries.\n- Kids love the Mouth of Truth (Bocca della Verità) and throwing a coin in the Trevi Fountain.\n- Bring a refillable bottle: the free *nasoni* drinking fountains are everywhere.")],

    [("system", "You are a concise assistant for a SaaS analytics product. Answer in at most three sentences."),
     ("user", "How do I invite a teammate to my workspace?"),
     ("assistant", "Open **Settings → Members** and click **Invite**. Enter their email, pick a role (Viewer, Editor or Admin) and send; they'll get a link valid for 7 days."),
     ("user", "Can I change their role later?"),
     ("assistant", "Yes — in **Settings → Members**, open the menu next to their name and choose **Change role**. Only Admins can do this, and the change takes effect immediately.")],

    [("user", "Can you explain what a p-value is?"),
     ("assistant", "A p-value is the probability of seeing results at least as extreme as yours *if the null hypothesis were true*. For example, if you test whether a coin is fair and get 60 heads in 100 flips, the p-value tells you how surprising that would be for a fair coin (about 0.057 for a two-sided test). A small p-value means the data would be unusual under the null hypothesis, which is evidence against it."),
     ("user", "So p = 0.03 means there's a 3% chance the null hypothesis is true?"),
     ("assistant", "No — that's the most common misreading. The p-value assumes the null hypothesis is true and asks how likely your data would be; it is not the probability that the hypothesis itself is true. To get that, you'd need a Bayesian analysis with a prior. A p-value of 0.03 just says: if there were really no effect, results this extreme would happen about 3% of the time.")],

    [("user", "My sourdough starter smells like nail polish remover. Is it ruined?"),
     ("assistant", "Not at all — that acetone smell means your starter is hungry. When the yeast and bacteria run out of food they produce more acetic acid and other compounds with that sharp smell. Discard most of it and feed it fresh flour and water, maybe twice a day for a couple of days. It should smell pleasantly sour again."),
     ("user", "What ratio should I feed it?"),
     ("assistant", "A common routine is 1:1:1 by weight: keep 50 g of starter and add 50 g flour and 50 g water. If it gets hungry quickly (peaks and collapses in a few hours), switch to 1:2:2 or 1:5:5 so it has more food and peaks more slowly.")],

    [("system", "You are an experienced SQL reviewer. Point out problems and suggest fixes."),
     ("user", "Is anything wrong with this query?\n\nSELECT * FROM orders WHERE YEAR(created_at) = 2024 AND status = 'paid'"),
     ("assistant", f"It works, but two things will hurt on a large table:\n\n1. `YEAR(created_at)` wraps the column in a function, so an index on `created_at` can't be used. Use a range instead.\n2. `SELECT *` fetches every column; list only the ones you need.\n\n{F}sql\nSELECT id, customer_id, amount, created_at\nFROM orders\nWHERE created_at >= '2024-01-01'\n  AND created_at <  '2025-01-01'\n  AND status = 'paid';\n{F}\n\nAn index on `(status, created_at)` would make this fast."),
     ("user", "Why the composite index in that order?"),
     ("assistant", "Equality conditions should come first and range conditions last. With `(status, created_at)`, the database jumps to the `'paid'` entries and then scans only the 2024 range within them. With `(created_at, status)`, it would scan every 2024 row and check the status of each one.")],

    [("user", "Help me write a cover letter opening for a junior UX designer position."),
     ("assistant", "Dear Hiring Team,\n\nWhen I redesigned the volunteer sign-up flow for my local food bank, registrations went up by 40% in a month — and I realised that what I enjoy most is making everyday tasks feel effortless. I'm excited to apply for the Junior UX Designer role at Brightpath, where I'd love to bring that same focus on real users to your product team."),
     ("user", "Make it a bit less formal, they're a startup."),
     ("assistant", "Hi Brightpath team,\n\nLast spring I rebuilt the volunteer sign-up flow for my local food bank, and sign-ups jumped 40% in a month. That's when I got hooked on making everyday things feel easy. I'd love to bring that obsession to your product as your new Junior UX Designer.")],

    [("user", "What's the difference between RAID 1 and RAID 5?"),
     ("assistant", "**RAID 1** mirrors data: two (or more) disks hold identical copies. You lose half the raw capacity, but any one disk can fail and reads are fast.\n\n**RAID 5** stripes data across at least three disks with distributed parity. You lose one disk's worth of capacity, and the array survives a single disk failure.\n\nRAID 1 is simpler and rebuilds faster; RAID 5 is more space-efficient with more disks."),
     ("user", "Is RAID a backup?"),
     ("assistant", "No. RAID protects against a disk failing, but it faithfully mirrors mistakes too: if you delete a file, ransomware encrypts your data or the controller corrupts the array, every copy is affected at once. You still need real backups — ideally 3-2-1: three copies, on two kinds of media, one off-site.")],

    [("system", "Tu es un assistant qui répond toujours en français."),
     ("user", "Comment puis-je améliorer mon CV ?"),
     ("assistant", "Quelques conseils efficaces :\n\n1. Gardez-le sur une page si vous avez moins de dix ans d'expérience.\n2. Commencez chaque expérience par un verbe d'action et chiffrez vos résultats (« réduit les délais de livraison de 20 % »).\n3. Adaptez-le à chaque offre en reprenant les mots-clés de l'annonce.\n4. Soignez la mise en page : une police lisible, des marges régulières, aucune faute d'orthographe."),
     ("user", "Faut-il mettre une photo ?"),
     ("assistant", "En France, la photo reste courante mais n'est pas obligatoire. Si vous en mettez une, choisissez une photo professionnelle, souriante et sobre. Pour des candidatures à l'international (Royaume-Uni, États-Unis), il vaut mieux ne pas en mettre, afin d'éviter tout risque de discrimination.")],

    [("user", "¿Me ayudas a planificar un menú semanal vegetariano?"),
     ("assistant", "¡Claro! Aquí tienes una propuesta sencilla para las comidas:\n\n- **Lunes**: lentejas estofadas con verduras.\n- **Martes**: pasta con pesto, tomates cherry y rúcula.\n- **Miércoles**: curry de garbanzos con arroz basmati.\n- **Jueves**: tortilla de patatas con ensalada verde.\n- **Viernes**: tacos de frijoles negros con aguacate.\n- **Sábado**: risotto de setas.\n- **Domingo**: lasaña de espinacas y ricota."),
     ("user", "¿Cuál de esos platos tiene más proteína?"),
     ("assistant", "Las lentejas, el curry de garbanzos y los tacos de frijoles son los que más proteína aportan, unos 15–18 g por ración. La tortilla de patatas también es una buena fuente gracias al huevo. Si quieres subir la proteína en el resto, puedes añadir tofu al risotto o queso feta a la pasta.")],

    [("user", "Explain recursion to me."),
     ("assistant", "Recursion is when a function solves a problem by calling itself on a smaller version of the same problem, until it reaches a case simple enough to answer directly (the *base case*).\n\nFactorial is the classic example: 5! = 5 × 4!, and 4! = 4 × 3!, and so on down to 1! = 1."),
     ("user", "Show me that in code."),
     ("assistant", f"{F}python\ndef factorial(n: int) -> int:\n    if n <= 1:          # base case\n        return 1\n    return n * factorial(n - 1)   # smaller problem\n\n\nprint(factorial(5))  # 120\n{F}"),
     ("user", "What happens if I forget the base case?"),
     ("assistant", "The function keeps calling itself forever — or rather until Python hits its recursion limit (about 1,000 calls by default) and raises `RecursionError: maximum recursion depth exceeded`. In languages without that guard, you'd get a stack overflow crash.")],

    [("system", "You are a helpful fitness coach. Be encouraging but realistic."),
     ("user", "I want to run a 5K in 8 weeks. I currently can't run for more than 2 minutes."),
     ("assistant", "That's a very achievable goal! Start with run/walk intervals three times a week:\n\n- Weeks 1–2: 1 min run, 2 min walk, × 8\n- Weeks 3–4: 3 min run, 1 min walk, × 6\n- Weeks 5–6: 8 min run, 1 min walk, × 3\n- Weeks 7–8: run 20, then 30 minutes continuously\n\nRun slowly enough that you could hold a conversation — that's the secret most beginners miss."),
     ("user", "My knees hurt a bit after the second session. Should I push through?"),
     ("assistant", "No — take two or three rest days and don't run through sharp or worsening pain. Mild soreness in the muscles is normal; pain in the joint isn't. Check your shoes (worn-out or wrong shoes are a common cause), shorten your stride, and land under your hips rather than ahead of them. If the pain continues after rest, see a physiotherapist before you continue the plan.")],

    [("user", "What is Docker, briefly?"),
     ("assistant", "Docker packages an application together with everything it needs — libraries, runtime, config — into a *container image*. That image runs the same way on your laptop, a colleague's machine or a server, which eliminates most \"works on my machine\" problems. Containers share the host's operating-system kernel, so they start in seconds and use far less memory than virtual machines."),
     ("user", "Give me a minimal Dockerfile for a Flask app."),
     ("assistant", f"{F}dockerfile\nFROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8000\nCMD [\"gunicorn\", \"--bind\", \"0.0.0.0:8000\", \"app:app\"]\n{F}\n\nCopying `requirements.txt` before the rest of the code lets Docker cache the dependency layer, so rebuilding after a code change is quick.")],

    [("user", "请帮我把这句话翻译成英文：我们下周一开会讨论新项目的预算。"),
     ("assistant", "We will hold a meeting next Monday to discuss the budget for the new project."),
     ("user", "再正式一点。"),
     ("assistant", "A meeting will be convened next Monday to review the budget for the new project.")],
]

# ShareGPT tool-call conversations: (system, tools, turns) where turns use the ShareGPT roles.
TOOL_DIALOGUES = [
    ("You can call functions to answer questions about the weather.",
     [{"name": "get_weather", "description": "Current weather for a city",
       "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                      "required": ["city"]}}],
     [("human", "What's the weather like in Oslo right now?"),
      ("function_call", '{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "celsius"}}'),
      ("observation", '{"city": "Oslo", "temperature": -3, "condition": "light snow", "wind_kph": 14}'),
      ("gpt", "It's -3 °C in Oslo with light snow and a wind of about 14 km/h — wrap up warmly.")]),
    ("You are a shopping assistant with access to the store's order system.",
     [{"name": "lookup_order", "description": "Status of an order by its number",
       "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}],
     [("human", "Where is my order 7731-B?"),
      ("function_call", '{"name": "lookup_order", "arguments": {"order_id": "7731-B"}}'),
      ("observation", '{"order_id": "7731-B", "status": "shipped", "carrier": "DHL", "eta": "2024-05-16"}'),
      ("gpt", "Your order 7731-B has shipped with DHL and is expected to arrive on 16 May 2024.")]),
]

# An OpenAI-format tool-call conversation (assistant tool_calls + tool result).
OPENAI_TOOL_DIALOGUE = [
    {"role": "system", "content": "You are a travel assistant. Use tools to look up live data."},
    {"role": "user", "content": "How much is 250 US dollars in euros today?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_fx_01", "type": "function",
         "function": {"name": "convert_currency", "arguments": '{"amount": 250, "from": "USD", "to": "EUR"}'}}]},
    {"role": "tool", "tool_call_id": "call_fx_01", "name": "convert_currency",
     "content": '{"amount": 250, "from": "USD", "to": "EUR", "rate": 0.9214, "result": 230.35}'},
    {"role": "assistant", "content": "At today's rate of 0.9214, 250 US dollars is about €230.35."},
]
