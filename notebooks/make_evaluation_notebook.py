"""Writes notebooks/evaluation.ipynb (run: python notebooks/make_evaluation_notebook.py)."""
from pathlib import Path

import nbformat as nbf

nb = nbf.v4.new_notebook()
cells = [
("md", "# Evaluation of the bundled model\n\nEverything here reads `models/manifest.json` and `models/cv_predictions.tsv`, written by `iqc train`: "
       "**fresh-source** predictions (the whole system fitted on other collections; the headline) and document-grouped "
       "cross-validation predictions. No row is scored by a model that saw its document. The codes shown are the held-out "
       "model's own, as a user would have seen them."),
("code", "import json\nimport pandas as pd\nfrom sklearn.metrics import confusion_matrix\nfrom nlp.corpus import load_corpus\nfrom nlp.resources import models_path\nfrom nlp.schema import FAMILIES\n\n"
         "manifest = json.loads(models_path('manifest.json').read_text())\nheld_out = pd.read_csv(models_path('cv_predictions.tsv'), sep='\\t', dtype={'cv_codes': str, 'fresh_codes': str, 'cv_review': str, 'fresh_review': str})\n"
         "corpus = load_corpus()\ndata = corpus.merge(held_out.drop(columns=[*FAMILIES, 'codes', 'doc_group', 'collection']), on='row_id')\nlen(data)"),
("code", "rows = []\nfor name, result in [*manifest['metrics']['fresh_source'].items(), ('grouped CV', manifest['metrics']['grouped_cv'])]:\n"
         "    for system in ('model', 'keyword_baseline'):\n        m = result[system]\n"
         "        rows.append({'split': name, 'system': system.replace('_', ' '), **{f: m[f]['f1'] for f in FAMILIES}, 'macro F1': m['macro_f1']})\npd.DataFrame(rows)"),
("md", "## Fresh-source confusion matrices\nRows of `public` and `more`, each scored by the model trained without its collection."),
("code", "fresh = data[data['fresh_flag_boilerplate'].notna()]\nfor family in FAMILIES:\n    cm = confusion_matrix(fresh[family], fresh[f'fresh_flag_{family}'].astype(int))\n"
         "    print(family, '\\n', pd.DataFrame(cm, index=['gold 0', 'gold 1'], columns=['pred 0', 'pred 1']), '\\n')"),
("md", "## Recall per reference code (fresh source)\nA row counts as caught when its family is flagged."),
("code", "from nlp.codes import catalogue, family_of\nrecall = []\nfor code in sorted({c for codes in fresh['codes'] for c in str(codes).split(';') if c in catalogue()}):\n"
         "    family = family_of(code)\n    has = fresh['codes'].str.split(';').apply(lambda cs: code in cs)\n"
         "    recall.append({'code': code, 'family': family, 'rows': int(has.sum()), 'caught': int(fresh.loc[has, f'fresh_flag_{family}'].sum())})\n"
         "pd.DataFrame(recall).assign(recall=lambda d: (d.caught / d.rows).round(2)).sort_values('recall')"),
("md", "## Worst fresh-source errors\nHighest-scoring false positives and lowest-scoring false negatives per family, with the held-out model's codes."),
("code", "for family in FAMILIES:\n    fp = fresh[(fresh[family] == 0) & (fresh[f'fresh_flag_{family}'] == 1)].nlargest(5, f'fresh_score_{family}')\n"
         "    fn = fresh[(fresh[family] == 1) & (fresh[f'fresh_flag_{family}'] == 0)].nsmallest(5, f'fresh_score_{family}')\n"
         "    for label, frame in (('false positives', fp), ('false negatives', fn)):\n        print(f'== {family}: worst {label}')\n"
         "        for _, row in frame.iterrows():\n"
         "            print(f\"  {row.row_id} {row.level2}/{row.level3} = {row.target_value} | gold {row.codes or '-'} | held-out {row.fresh_codes if isinstance(row.fresh_codes, str) else '-'} score {row[f'fresh_score_{family}']:.2f}\")"),
]
nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
for number, cell in enumerate(nb.cells):  # stable ids: regenerating an unchanged notebook changes no byte
    cell.id = f"cell-{number}"
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbf.write(nb, Path(__file__).resolve().parent / "evaluation.ipynb")
