"""Print README command N (1: install and run the main job; 2: install and run every test).

The two commands are the first two ```sh blocks of README.md. `.ci/run` runs command 2 through this
script, so that CI always runs exactly what the README tells a user to type.
"""
import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def readme_commands(readme=ROOT/'README.md'):
    "The shell commands of the ```sh blocks of `readme`, in order."
    return [b.strip() for b in re.findall(r'```sh\n(.*?)```', Path(readme).read_text(encoding='utf-8'), re.S)]

if __name__ == '__main__':
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    cmds = readme_commands()
    if len(cmds) < n: sys.exit(f"README.md has {len(cmds)} ```sh blocks; command {n} is missing")
    print(cmds[n-1])
