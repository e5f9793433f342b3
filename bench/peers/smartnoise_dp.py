"""The SmartNoise SQL side of bench/zone.py, run in its own virtual environment (SmartNoise SQL
1.0.10 pins opendp<0.15 and pandas<3, which the project does not use).

    python smartnoise_dp.py DATA.csv QUERIES.json EPSILON REPEATS

Prints one JSON object: per query, the median seconds and every answer, keyed by group.
"""

import json
import statistics
import sys
import time

import pandas as pd
import snsql
from snsql import Privacy


def main() -> None:
    csv_path, queries_path, epsilon, repeats = sys.argv[1:5]
    with open(queries_path, encoding="utf-8") as handle:
        queries = json.load(handle)
    data = pd.read_csv(csv_path)
    metadata = {
        "Collection": {
            "ss": {
                "ss": {
                    "max_ids": 1,
                    "row_privacy": False,
                    "censor_dims": False,
                    "pid": {"type": "string", "private_id": True},
                    "district": {"type": "string"},
                    "kind": {"type": "string"},
                    "base": {"type": "float", "lower": 3000.0, "upper": 30000.0},
                }
            }
        }
    }
    start = time.perf_counter()
    reader = snsql.from_df(
        data, privacy=Privacy(epsilon=float(epsilon), delta=1e-6), metadata=metadata
    )
    setup = time.perf_counter() - start
    out = {"setup_s": setup, "queries": []}
    for sql in queries:
        times, answers = [], []
        for _ in range(int(repeats)):
            begin = time.perf_counter()
            result = reader.execute(sql)
            times.append(time.perf_counter() - begin)
            answers.append({str(row[0]): float(row[1]) for row in result[1:]})
        out["queries"].append({"sql": sql, "seconds": statistics.median(times), "answers": answers})
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
