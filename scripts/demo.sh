#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the main job on the bundled sample data:
# validate every submission, export the official workbooks, and build the HTML reports.
# PERIOD=2024Q2 bash scripts/demo.sh picks another period (month, quarter or year).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PERIOD=${PERIOD:-2024-06}
EK=.venv/bin/evalkit

echo "== 1/3 校验报送数据 (evalkit validate data/sample) =="
# The sample carries planted defects, so validate exits 1 (errors found); that is expected.
status=0
$EK validate data/sample > outputs/validate.txt || status=$?
if [ "$status" -gt 1 ]; then cat outputs/validate.txt; exit "$status"; fi
head -n 14 outputs/validate.txt
echo "   (完整报告：outputs/validate.txt；退出码 $status，1 表示发现了样例中故意埋设的错误)"

echo "== 2/3 导出官方格式工作簿 (evalkit export --period $PERIOD) =="
if [[ "$PERIOD" =~ ^[0-9]{4}-[0-9]{1,2}$ ]]; then
  $EK export data/sample --period "$PERIOD" --out outputs | sed 's/^/   /'
else
  echo "   （官方报表按月导出；期间 $PERIOD 不是月份，跳过）"
fi

echo "== 3/3 批量生成报告 (evalkit run --period $PERIOD) =="
$EK run data/sample --period "$PERIOD" --out outputs
echo
echo "打开 outputs/$PERIOD/index.html 阅读全部报告。"
