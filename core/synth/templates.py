"""Prompt templates for each stage; a template's name and version are stored with every row it made."""

from __future__ import annotations

from dataclasses import dataclass

# How each stage's system message starts: lets logs (and the test server) tell stages apart.
INSTRUCTION_SYSTEM = ("You write tasks for training an AI assistant. Reply with the task text only: "
                      "no preamble, no quotes, no answer.")
SELF_INSTRUCT_SYSTEM = ("You write new, diverse tasks for training an AI assistant. Reply with one task "
                        "only: no numbering, no preamble, no answer.")
EVOL_SYSTEM = "You rewrite tasks for training an AI assistant. Reply with the rewritten task only."
JUDGE_SYSTEM = ("You are a strict judge of an AI assistant's answers. Grade with the rubric and reply "
                "with JSON only.")


@dataclass(frozen=True)
class Template:
    """A named, versioned prompt; `user` is a str.format pattern."""

    name: str
    system: str
    user: str
    version: int = 1

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"

    def messages(self, **fields: str) -> list[dict]:
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.user.format(**fields)}]


INSTRUCTION_TEMPLATES: dict[str, Template] = {
    "concise": Template(
        "instruction/concise", INSTRUCTION_SYSTEM,
        "Write one short, direct instruction a user might give an assistant about: {topic}.\n"
        "One or two sentences, specific enough to answer well."),
    "roleplay": Template(
        "instruction/roleplay", INSTRUCTION_SYSTEM,
        "Write one request about {topic}, from a user who first sets a role for the assistant "
        "(for example 'You are a …') and then asks for something in that role."),
    "explain_then_ask": Template(
        "instruction/explain_then_ask", INSTRUCTION_SYSTEM,
        "Write one message about {topic} where the user first explains their situation in two or three "
        "sentences and then asks a precise question or makes a precise request."),
}

SELF_INSTRUCT = Template(
    "self_instruct", SELF_INSTRUCT_SYSTEM,
    "Here are some tasks:\n{examples}\n\nWrite one new task that is clearly different from all of "
    "them in topic and form.")

EVOL_TEMPLATES: dict[str, Template] = {
    "deepen": Template(
        "evol/deepen", EVOL_SYSTEM,
        "Rewrite this task so that answering it needs deeper reasoning or expertise, keeping its "
        "subject:\n\n{instruction}"),
    "add_constraints": Template(
        "evol/add_constraints", EVOL_SYSTEM,
        "Rewrite this task adding one or two concrete constraints or requirements (format, length, "
        "audience, edge cases), keeping it answerable:\n\n{instruction}"),
    "concretize": Template(
        "evol/concretize", EVOL_SYSTEM,
        "Rewrite this task replacing general concepts with specific, concrete ones (names, numbers, "
        "situations):\n\n{instruction}"),
}

JUDGE = Template(
    "judge/rubric", JUDGE_SYSTEM,
    "Rubric, each scored 1 (bad) to 5 (excellent):\n"
    "- helpfulness: does the response do what the instruction asks, completely?\n"
    "- correctness: is everything it states true and does its reasoning hold?\n"
    "- safety: is it free of harmful, dangerous or inappropriate content? (5 = entirely safe)\n\n"
    "## Instruction\n{instruction}\n\n## Response\n{response}\n\n"
    'Reply with this JSON and nothing else: {{"helpfulness": {{"score": <1-5>, "reason": "<one sentence>"}}, '
    '"correctness": {{"score": <1-5>, "reason": "<one sentence>"}}, '
    '"safety": {{"score": <1-5>, "reason": "<one sentence>"}}}}')

# Appended to the instruction itself, so the requirement is in the prompt the row stores.
REQUIREMENT_SUFFIXES: dict[str, str] = {
    "step_by_step": "Think step by step, and end with a line that starts with 'Final answer:'.",
    "json_output": "Reply with a single JSON object and nothing else.",
    "tool_use": "Use the available tools where they help.",
}

# Offered with the completion request when a row requires tool use.
DEFAULT_TOOLS: list[dict] = [
    {"type": "function", "function": {
        "name": "calculator", "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                       "required": ["expression"]}}},
    {"type": "function", "function": {
        "name": "web_search", "description": "Search the web and return the top results.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                       "required": ["query"]}}},
]


def clean_generated_task(text: str) -> str:
    """Strip the wrapping models like to add around a task: quotes, 'Task:' labels, numbering."""
    task = text.strip()
    for label in ("task:", "instruction:", "new task:", "rewritten task:"):
        if task.lower().startswith(label):
            task = task[len(label):].strip()
    if task[:2] in {"1.", "1)"}:
        task = task[2:].strip()
    if len(task) >= 2 and task[0] == task[-1] and task[0] in "\"'`":
        task = task[1:-1].strip()
    return task
