"""The product form's rows for 参数声明 and 输出字段: they build exactly the lists the service
received as JSON before, show each mistake on its row, and show a product's current
declarations when it is edited."""

import re

import pytest

from pdao.products import demo, params
from pdao.products.forms import (
    ColumnRows,
    ParameterForm,
    ParameterRows,
    ParamType,
    ProductForm,
)
from pdao.products.models import Product
from tests.products.conftest import AGGREGATE_PARAMS, RECORDS_PARAMS, RECORDS_SQL

COLUMNS = [{"name": "缴费金额", "label": "缴费金额（元）", "tolerance": 0.01}]


def as_post(formset) -> dict:
    """What a browser posts for `formset` as rendered (its management form and every row)."""
    data = {
        f"{formset.prefix}-{name}": value for name, value in formset.management_form.initial.items()
    }
    for row in formset.forms:
        for field in row:
            value = field.value()
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            else:
                data[field.html_name] = "" if value is None else str(value)
    return data


def rows_post(prefix: str, rows: list[dict]) -> dict:
    """Posted rows typed by hand: `rows` as field → value, plus one blank extra row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + 1),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-{len(rows)}-required": "on",  # the blank extra row, as rendered
    }
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


def product_post(market, *, sql=RECORDS_SQL, parameters=(), columns=()) -> dict:
    return {
        "kind": "api",
        "name": "参保明细",
        "summary": "按区县提供去标识化的参保明细。",
        "authorization": str(market.authorization.pk),
        "form": "deidentified",
        "sql": sql,
        "key_column": "身份证号",
        "epsilon_per_call": "0.5",
        **rows_post("parameters", list(parameters)),
        **rows_post("columns", list(columns)),
    }


RECORDS_ROWS = [
    {
        "name": "district",
        "label": "区县",
        "type": "choice",
        "required": "on",
        "choices": "城中区\r\n鱼峰区\r\n柳南区\r\n\r\n柳北区\r\n柳江区\r\n",
    },
    {"name": "n", "label": "行数", "type": "integer", "required": "on", "minimum": "1",
     "maximum": "1000"},
]  # fmt: skip


@pytest.mark.django_db
def test_rows_create_a_product_with_the_declarations_the_json_gave(market, client_for):
    client = client_for(market.operator)

    response = client.post(
        "/products/new/",
        product_post(
            market,
            parameters=RECORDS_ROWS,
            columns=[{"name": "缴费金额", "label": "缴费金额（元）", "tolerance": "0.01"}],
        ),
    )

    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.text)
    product = Product.objects.get()
    assert product.parameters == RECORDS_PARAMS
    assert product.output_columns == COLUMNS
    assert type(product.parameters[1]["minimum"]) is int  # as JSON read `1`, not 1.0


@pytest.mark.django_db
def test_a_choice_row_without_values_is_refused_on_its_row_and_nothing_is_created(
    market, client_for
):
    rows = [RECORDS_ROWS[0] | {"choices": ""}, RECORDS_ROWS[1]]

    response = client_for(market.operator).post(
        "/products/new/", product_post(market, parameters=rows)
    )

    assert response.status_code == 200
    assert not Product.objects.exists()
    row = re.search(
        r'data-testid="parameters-0".*?</fieldset>', response.content.decode(), re.S
    ).group(0)
    assert "枚举参数须填写可选值，每行一个。" in row
    assert "参数声明有误，请按各行标出的提示修改。" in response.content.decode()


@pytest.mark.parametrize(
    ("rows", "row", "message"),
    [
        ([RECORDS_ROWS[0] | {"name": "1区县"}, RECORDS_ROWS[1]], 0, "只能用英文字母、数字和下划线"),
        ([RECORDS_ROWS[0], RECORDS_ROWS[1] | {"minimum": "9", "maximum": "2"}], 1,
         "最大值不能小于最小值。"),
        ([RECORDS_ROWS[0], RECORDS_ROWS[1] | {"minimum": "一"}], 1, "请填写数字。"),
        ([*RECORDS_ROWS, RECORDS_ROWS[1] | {"label": "又一个"}], 2, "与第 2 行重名。"),
        ([*RECORDS_ROWS, {"name": "since", "label": "起始", "type": "date", "required": "on"}],
         2, "查询模板中没有用到 :since。"),
        ([RECORDS_ROWS[0], RECORDS_ROWS[1] | {"type": ""}], 1, "请选择类型。"),
        ([RECORDS_ROWS[0], {**RECORDS_ROWS[1], "required": "", "default": "很多"}], 1,
         "默认值应为数字。"),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_each_mistake_is_shown_on_its_row(market, client_for, rows, row, message):
    response = client_for(market.operator).post(
        "/products/new/", product_post(market, parameters=rows)
    )

    assert not Product.objects.exists()
    html = response.content.decode()
    shown = re.search(rf'data-testid="parameters-{row}".*?</fieldset>', html, re.S).group(0)
    assert message in shown


@pytest.mark.django_db
def test_a_template_parameter_without_a_row_is_named_at_the_template(market, client_for):
    response = client_for(market.operator).post(
        "/products/new/", product_post(market, parameters=RECORDS_ROWS[:1])
    )

    assert not Product.objects.exists()
    assert "模板中的参数 :n 尚未声明" in response.content.decode()


@pytest.mark.django_db
def test_edit_page_shows_the_current_declarations_and_saves_them_unchanged(market, client_for):
    product = market.records_product()
    client = client_for(market.operator)

    page = client.get(f"/products/p/{product.code}/edit/")
    form = page.context["form"]
    html = page.content.decode()
    assert 'value="district"' in html and "城中区\n鱼峰区" in html and 'value="0.01"' in html
    data = {
        name: "" if value is None else str(value)
        for name, value in (
            (f.html_name, f.value()) for f in form.visible_fields() if f.name != "authorization"
        )
    }
    response = client.post(
        f"/products/p/{product.code}/edit/",
        data | as_post(form.parameter_rows) | as_post(form.column_rows),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.parameters == RECORDS_PARAMS
    assert product.output_columns == [{"name": "缴费金额", "label": "缴费金额", "tolerance": 0.01}]
    assert product.revision == 2


@pytest.mark.django_db
def test_a_deleted_row_is_left_out(market, client_for):
    rows = [*RECORDS_ROWS, {"name": "bad name", "DELETE": "on"}]

    response = client_for(market.operator).post(
        "/products/new/", product_post(market, parameters=rows)
    )

    assert response.status_code == 302
    assert Product.objects.get().parameters == RECORDS_PARAMS


@pytest.mark.django_db
def test_blank_extra_rows_give_empty_lists(market, client_for):
    sql = "SELECT 区县, COUNT(*) AS 人次 FROM 社保缴纳记录 GROUP BY 区县"
    data = product_post(market, sql=sql) | {"form": "aggregate", "key_column": ""}

    response = client_for(market.operator).post("/products/new/", data)

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.parameters == [] and product.output_columns == []


DECLARATIONS = [
    AGGREGATE_PARAMS,
    RECORDS_PARAMS,
    *(entry[5] for entry in demo.PRODUCTS),
    demo.MODEL_PRODUCT[5],
    [{"name": "ratio", "type": "number", "label": "比例", "minimum": 0, "maximum": 0.5,
      "required": False, "default": 0.1}],
    [{"name": "q", "type": "string", "label": "关键词", "required": False, "default": "社保"}],
]  # fmt: skip


@pytest.mark.parametrize("declarations", DECLARATIONS)
def test_rows_shown_for_declarations_post_back_the_same_declarations(declarations):
    shown = ParameterRows(
        prefix="parameters", initial=[ParameterForm.initial_from(d) for d in declarations]
    )

    posted = ParameterRows(as_post(shown), prefix="parameters")

    assert posted.is_valid(), posted.errors
    assert posted.declarations() == declarations
    params.parse_specs(posted.declarations())


@pytest.mark.parametrize("columns", [[], COLUMNS, *(entry[6] for entry in demo.PRODUCTS)])
def test_column_rows_post_back_the_same_columns(columns):
    shown = ColumnRows(prefix="columns", initial=columns)

    posted = ColumnRows(as_post(shown), prefix="columns")

    assert posted.is_valid(), posted.errors
    assert posted.declarations() == columns


def test_every_parameter_type_has_a_chinese_label():
    assert set(ParamType.values) == set(params.TYPES)
    assert all(re.search(r"[\u4e00-\u9fff]", str(label)) for label in ParamType.labels)


@pytest.mark.django_db
def test_the_form_no_longer_asks_for_json(market):
    form = ProductForm(operator=market.operator.organisation)

    assert "parameters" not in form.fields and "output_columns" not in form.fields
    assert len(form.parameter_rows.forms) == 3 and len(form.column_rows.forms) == 2
