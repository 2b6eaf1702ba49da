//! The bill files, typed: a header row of column names, detail rows whose every field starts
//! with a backtick (`` ` ``, so that spreadsheets keep long numbers), a summary header row and
//! one summary row, also backtick-prefixed.
//!
//! Columns are found by name, not position: the ALL, SUCCESS and REFUND trade bills have
//! different column sets, and a few merchants still get an older one. A typed field whose
//! column a bill lacks is empty (`""`) or `None`; every column, known or not, stays readable by
//! name through [`Fields`]. Names match with full-width and ASCII parentheses alike
//! (`收支金额（元）` and `收支金额(元)`).
//!
//! Amounts are yuan with two decimals, read exactly into integer fen; the fee column's padding
//! (`0.01000`) is accepted when the extra digits are zeros. Times are `yyyy-MM-dd HH:mm:ss`,
//! Beijing time, read as [`OffsetDateTime`] at `+08:00`.
//!
//! Fields are not quoted in these files: a data row is split where a comma is followed by the
//! next field's backtick, so commas inside a value (商户数据包 often holds JSON, 商品名称 may
//! hold anything) stay in the value. Only a value holding a comma followed by a backtick
//! cannot be told from two fields: that row has too many fields, an error, never a shifted row.
//!
//! [`TradeBill::reader`] and [`FundFlowBill::reader`] read a file as a stream, one row at a
//! time: memory is bounded by one line ([`MAX_LINE_BYTES`]), whatever the bill's size.
//! [`TradeBill::parse`] and [`FundFlowBill::parse`] collect every row.

use std::io::BufRead;
use std::sync::Arc;

use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime};

/// The longest line a bill may have, line ending included (1 MiB; a real row is well under
/// 2 KiB): a longer one is [`BillProblem::LineTooLong`], read no further.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// A column of the bill: its position (1-based) and name, as errors report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// 1-based position in the row.
    pub index: usize,
    /// Its name in the header (empty past the header's end).
    pub name: String,
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {} ({})", self.index, self.name)
    }
}

/// A bill file that cannot be read: where (1-based line, and column when it is one field) and
/// what. Values quoted in it are cut to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bill line {line}{}: {problem}", column.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
pub struct BillParseError {
    /// 1-based line of the file.
    pub line: usize,
    /// The field, when the problem is one field.
    pub column: Option<Column>,
    /// What is wrong.
    pub problem: BillProblem,
}

/// What is wrong with a bill file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BillProblem {
    /// The file is not UTF-8 (the line is the one with the first bad byte).
    #[error("the bill is not UTF-8 text")]
    NotUtf8,
    /// The file has no header row.
    #[error("the bill is empty: no header row")]
    Empty,
    /// The first row is data (backtick-prefixed), not the header of column names.
    #[error("the first row must be the header of column names, not data")]
    HeaderIsData,
    /// The header lacks a column this kind of bill always has.
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    /// A detail or summary field does not start with a backtick.
    #[error("the field does not start with a backtick (`)")]
    MissingBacktick,
    /// A row has another number of fields than its header (a comma inside a value, a cut line).
    #[error("{found} fields where the header has {expected}")]
    ColumnCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// Not an amount: yuan with at most two significant decimals.
    #[error("`{0}` is not an amount in yuan with two decimals")]
    Amount(String),
    /// Not a time `yyyy-MM-dd HH:mm:ss`.
    #[error("`{0}` is not a time `yyyy-MM-dd HH:mm:ss`")]
    Time(String),
    /// Not a count.
    #[error("`{0}` is not a count")]
    Count(String),
    /// The file ends before the summary header (the line is past the end).
    #[error("the bill ends without its summary header and summary row")]
    NoSummary,
    /// The summary header is the last row.
    #[error("the summary header is not followed by the summary row")]
    NoSummaryRow,
    /// A non-empty line after the summary row.
    #[error("a line after the summary row")]
    TrailingLine,
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("the line is longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
    /// The reader failed (the I/O error's message).
    #[error("the bill could not be read: {0}")]
    Read(String),
}

/// Every field of one row by column name, as written (backtick removed). Shares the header
/// with the other rows of its section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    columns: Arc<[String]>,
    values: Vec<String>,
}

impl Fields {
    /// The value of the column named `name` (full-width and ASCII parentheses alike), if the
    /// bill has that column.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = position(&self.columns, name)?;
        self.values.get(i).map(String::as_str)
    }

    /// `(column name, value)` in the file's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.columns
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().map(String::as_str))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no field.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A trade bill (交易账单): its detail rows and summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBill {
    /// The detail rows, in the file's order.
    pub rows: Vec<TradeBillRow>,
    /// The summary row.
    pub summary: TradeBillSummary,
}

/// One detail row of a trade bill: a payment (`trade_state` `SUCCESS`), a refund (`REFUND`) or
/// a reversal (`REVOKED`). Amounts in fen; `None` (or `""`) where the bill lacks the column or
/// leaves an amount empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBillRow {
    /// 1-based line of the file.
    pub line: usize,
    /// 交易时间: when it was paid, or when the refund was accepted.
    pub trade_time: OffsetDateTime,
    /// 公众账号ID.
    pub appid: String,
    /// 商户号.
    pub mchid: String,
    /// 特约商户号: the sub-merchant, `0` for a direct merchant's trade.
    pub sub_mchid: String,
    /// 设备号.
    pub device_info: String,
    /// 微信订单号.
    pub transaction_id: String,
    /// 商户订单号.
    pub out_trade_no: String,
    /// 用户标识 (openid).
    pub openid: String,
    /// 交易类型 (`JSAPI`, `NATIVE`, `APP`, `MWEB`, `MICROPAY`, …).
    pub trade_type: String,
    /// 交易状态 (`SUCCESS`, `REFUND`, `REVOKED`).
    pub trade_state: String,
    /// 付款银行.
    pub bank_type: String,
    /// 货币种类.
    pub currency: String,
    /// 应结订单金额, fen.
    pub settlement_total: Option<i64>,
    /// 代金券金额, fen.
    pub coupon: Option<i64>,
    /// 退款申请时间 (REFUND bills).
    pub refund_create_time: Option<OffsetDateTime>,
    /// 退款成功时间 (REFUND bills; empty while the refund is in progress).
    pub refund_success_time: Option<OffsetDateTime>,
    /// 微信退款单号 (`0` on a payment row).
    pub refund_id: String,
    /// 商户退款单号 (`0` on a payment row).
    pub out_refund_no: String,
    /// 退款金额, fen.
    pub refund: Option<i64>,
    /// 充值券退款金额, fen.
    pub recharge_coupon_refund: Option<i64>,
    /// 退款类型.
    pub refund_type: String,
    /// 退款状态.
    pub refund_status: String,
    /// 商品名称.
    pub description: String,
    /// 商户数据包 (attach).
    pub attach: String,
    /// 手续费, fen (negative when refunded).
    pub fee: Option<i64>,
    /// 费率, as written (`0.60%`).
    pub fee_rate: String,
    /// 订单金额, fen.
    pub total: Option<i64>,
    /// 申请退款金额, fen.
    pub refund_requested: Option<i64>,
    /// 费率备注.
    pub fee_rate_note: String,
    /// Every column by name.
    pub fields: Fields,
}

/// The summary row of a trade bill (汇总数据). Amounts in fen; `None` where the bill lacks the
/// column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBillSummary {
    /// 1-based line of the file.
    pub line: usize,
    /// 总交易单数.
    pub count: u64,
    /// 应结订单总金额.
    pub settlement_total: Option<i64>,
    /// 退款总金额.
    pub refund_total: Option<i64>,
    /// 充值券退款总金额.
    pub recharge_coupon_refund_total: Option<i64>,
    /// 手续费总金额.
    pub fee_total: Option<i64>,
    /// 订单总金额.
    pub order_total: Option<i64>,
    /// 申请退款总金额.
    pub refund_requested_total: Option<i64>,
    /// Every column by name.
    pub fields: Fields,
}

/// A fund-flow bill (资金账单): the movements of one account, and their summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundFlowBill {
    /// The detail rows, in the file's order.
    pub rows: Vec<FundFlowRow>,
    /// The summary row.
    pub summary: FundFlowSummary,
}

/// Whether a fund-flow row adds to the balance or takes from it (收支类型).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FundDirection {
    /// 收入.
    Income,
    /// 支出.
    Expense,
    /// Anything else, as written.
    Unknown(String),
}

/// One movement of a fund-flow bill. Amounts in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundFlowRow {
    /// 1-based line of the file.
    pub line: usize,
    /// 记账时间.
    pub time: OffsetDateTime,
    /// 微信支付业务单号 (a transaction id, a refund id, …).
    pub business_id: String,
    /// 资金流水单号.
    pub flow_id: String,
    /// 业务名称 (`交易`, `退款`, …).
    pub business_name: String,
    /// 业务类型 (`交易`, `扣除交易手续费`, `退款`, …).
    pub business_type: String,
    /// 收支类型.
    pub direction: FundDirection,
    /// 收支金额（元）, fen, as written (not signed: see [`FundFlowRow::signed_amount`]).
    pub amount: i64,
    /// 账户结余（元）, fen.
    pub balance: Option<i64>,
    /// 资金变更提交申请人.
    pub applicant: String,
    /// 备注 (as written: the platform's escaping of special characters is kept).
    pub remark: String,
    /// 业务凭证号.
    pub voucher_no: String,
    /// Every column by name.
    pub fields: Fields,
}

impl FundFlowRow {
    /// The amount with its direction: positive for income, negative for an expense, `None`
    /// for a direction this version does not know.
    pub fn signed_amount(&self) -> Option<i64> {
        match self.direction {
            FundDirection::Income => Some(self.amount),
            FundDirection::Expense => Some(-self.amount),
            FundDirection::Unknown(_) => None,
        }
    }
}

/// The summary row of a fund-flow bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundFlowSummary {
    /// 1-based line of the file.
    pub line: usize,
    /// 资金流水总笔数.
    pub count: u64,
    /// 收入笔数.
    pub income_count: Option<u64>,
    /// 收入金额, fen.
    pub income: Option<i64>,
    /// 支出笔数.
    pub expense_count: Option<u64>,
    /// 支出金额, fen.
    pub expense: Option<i64>,
    /// Every column by name.
    pub fields: Fields,
}

impl TradeBill {
    /// Reads a trade bill file (ALL, SUCCESS or REFUND; UTF-8, an optional BOM, `\n` or
    /// `\r\n`), every row at once. [`TradeBill::reader`] reads one row at a time.
    pub fn parse(bill: impl AsRef<[u8]>) -> Result<Self, BillParseError> {
        let mut reader = Self::reader(bill.as_ref())?;
        let rows = reader.by_ref().collect::<Result<_, _>>()?;
        let summary = reader.summary()?;
        Ok(Self { rows, summary })
    }

    /// Reads a trade bill from `input` as a stream: the header now, then the rows one at a
    /// time (the reader is an iterator; it stops at the first error), then
    /// [`TradeBillReader::summary`]. Memory stays bounded by one line, whatever the bill's
    /// size.
    pub fn reader<R: BufRead>(input: R) -> Result<TradeBillReader<R>, BillParseError> {
        let stream = Stream::open(input, "总交易单数")?;
        let columns = TradeColumns::of(&stream.header)?;
        Ok(TradeBillReader { stream, columns })
    }
}

/// A trade bill read one row at a time ([`TradeBill::reader`]): an iterator of rows, then its
/// summary.
#[derive(Debug)]
pub struct TradeBillReader<R> {
    stream: Stream<R>,
    columns: TradeColumns,
}

impl<R: BufRead> Iterator for TradeBillReader<R> {
    type Item = Result<TradeBillRow, BillParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.stream.next_row()?;
        Some(row.and_then(|row| self.columns.row(&row, &self.stream.header)))
    }
}

impl<R: BufRead> TradeBillReader<R> {
    /// The summary row, read after the rows not yet taken (which are checked, then dropped);
    /// or the error that stopped the rows.
    pub fn summary(mut self) -> Result<TradeBillSummary, BillParseError> {
        for row in self.by_ref() {
            row?;
        }
        let (s, row) = self.stream.end()?;
        let count = s.require("总交易单数")?;
        Ok(TradeBillSummary {
            line: row.line,
            count: row.count(count)?,
            settlement_total: row.amount(s.find("应结订单总金额"))?,
            refund_total: row.amount(s.find("退款总金额"))?,
            recharge_coupon_refund_total: row.amount(s.find("充值券退款总金额"))?,
            fee_total: row.amount(s.find("手续费总金额"))?,
            order_total: row.amount(s.find("订单总金额"))?,
            refund_requested_total: row.amount(s.find("申请退款总金额"))?,
            fields: row.fields(&s),
        })
    }
}

/// Where a trade bill's typed fields are in its header.
#[derive(Debug)]
struct TradeColumns {
    /// 交易时间, 微信订单号, 商户订单号, 交易状态.
    required: [usize; 4],
    text: [Option<usize>; 16],
    amounts: [Option<usize>; 7],
    times: [Option<usize>; 2],
}

impl TradeColumns {
    fn of(h: &Header) -> Result<Self, BillParseError> {
        let required = [
            h.require("交易时间")?,
            h.require("微信订单号")?,
            h.require("商户订单号")?,
            h.require("交易状态")?,
        ];
        let text = [
            "公众账号ID",
            "商户号",
            "特约商户号",
            "设备号",
            "用户标识",
            "交易类型",
            "付款银行",
            "货币种类",
            "微信退款单号",
            "商户退款单号",
            "退款类型",
            "退款状态",
            "商品名称",
            "商户数据包",
            "费率",
            "费率备注",
        ]
        .map(|n| h.find(n));
        let amounts = [
            "应结订单金额",
            "代金券金额",
            "退款金额",
            "充值券退款金额",
            "手续费",
            "订单金额",
            "申请退款金额",
        ]
        .map(|n| h.find(n));
        let times = ["退款申请时间", "退款成功时间"].map(|n| h.find(n));
        Ok(Self {
            required,
            text,
            amounts,
            times,
        })
    }

    fn row(&self, row: &Row, header: &Header) -> Result<TradeBillRow, BillParseError> {
        let [time, transaction_id, out_trade_no, trade_state] = self.required;
        let [
            appid,
            mchid,
            sub_mchid,
            device_info,
            openid,
            trade_type,
            bank_type,
            currency,
            refund_id,
            out_refund_no,
            refund_type,
            refund_status,
            description,
            attach,
            fee_rate,
            fee_rate_note,
        ] = self.text.map(|i| row.text(i));
        let [
            settlement_total,
            coupon,
            refund,
            recharge_coupon_refund,
            fee,
            total,
            refund_requested,
        ] = self.amounts;
        let [refund_create_time, refund_success_time] = self.times;
        Ok(TradeBillRow {
            line: row.line,
            trade_time: row.time(time)?,
            appid,
            mchid,
            sub_mchid,
            device_info,
            transaction_id: row.text(Some(transaction_id)),
            out_trade_no: row.text(Some(out_trade_no)),
            openid,
            trade_type,
            trade_state: row.text(Some(trade_state)),
            bank_type,
            currency,
            settlement_total: row.amount(settlement_total)?,
            coupon: row.amount(coupon)?,
            refund_create_time: row.optional_time(refund_create_time)?,
            refund_success_time: row.optional_time(refund_success_time)?,
            refund_id,
            out_refund_no,
            refund: row.amount(refund)?,
            recharge_coupon_refund: row.amount(recharge_coupon_refund)?,
            refund_type,
            refund_status,
            description,
            attach,
            fee: row.amount(fee)?,
            fee_rate,
            total: row.amount(total)?,
            refund_requested: row.amount(refund_requested)?,
            fee_rate_note,
            fields: row.fields(header),
        })
    }
}

impl FundFlowBill {
    /// Reads a fund-flow bill file (UTF-8, an optional BOM, `\n` or `\r\n`), every row at
    /// once. [`FundFlowBill::reader`] reads one row at a time.
    pub fn parse(bill: impl AsRef<[u8]>) -> Result<Self, BillParseError> {
        let mut reader = Self::reader(bill.as_ref())?;
        let rows = reader.by_ref().collect::<Result<_, _>>()?;
        let summary = reader.summary()?;
        Ok(Self { rows, summary })
    }

    /// Reads a fund-flow bill from `input` as a stream, like [`TradeBill::reader`].
    pub fn reader<R: BufRead>(input: R) -> Result<FundFlowReader<R>, BillParseError> {
        let stream = Stream::open(input, "资金流水总笔数")?;
        let columns = FundFlowColumns::of(&stream.header)?;
        Ok(FundFlowReader { stream, columns })
    }
}

/// A fund-flow bill read one row at a time ([`FundFlowBill::reader`]): an iterator of rows,
/// then its summary.
#[derive(Debug)]
pub struct FundFlowReader<R> {
    stream: Stream<R>,
    columns: FundFlowColumns,
}

impl<R: BufRead> Iterator for FundFlowReader<R> {
    type Item = Result<FundFlowRow, BillParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.stream.next_row()?;
        Some(row.and_then(|row| self.columns.row(&row, &self.stream.header)))
    }
}

impl<R: BufRead> FundFlowReader<R> {
    /// The summary row, read after the rows not yet taken (which are checked, then dropped);
    /// or the error that stopped the rows.
    pub fn summary(mut self) -> Result<FundFlowSummary, BillParseError> {
        for row in self.by_ref() {
            row?;
        }
        let (s, row) = self.stream.end()?;
        let count = s.require("资金流水总笔数")?;
        Ok(FundFlowSummary {
            line: row.line,
            count: row.count(count)?,
            income_count: row.optional_count(s.find("收入笔数"))?,
            income: row.amount(s.find("收入金额"))?,
            expense_count: row.optional_count(s.find("支出笔数"))?,
            expense: row.amount(s.find("支出金额"))?,
            fields: row.fields(&s),
        })
    }
}

/// Where a fund-flow bill's typed fields are in its header.
#[derive(Debug)]
struct FundFlowColumns {
    /// 记账时间, 收支类型, 收支金额（元）.
    required: [usize; 3],
    text: [Option<usize>; 7],
    balance: Option<usize>,
}

impl FundFlowColumns {
    fn of(h: &Header) -> Result<Self, BillParseError> {
        let required = [
            h.require("记账时间")?,
            h.require("收支类型")?,
            h.require("收支金额（元）")?,
        ];
        let text = [
            "微信支付业务单号",
            "资金流水单号",
            "业务名称",
            "业务类型",
            "资金变更提交申请人",
            "备注",
            "业务凭证号",
        ]
        .map(|n| h.find(n));
        let balance = h.find("账户结余（元）");
        Ok(Self {
            required,
            text,
            balance,
        })
    }

    fn row(&self, row: &Row, header: &Header) -> Result<FundFlowRow, BillParseError> {
        let [time, direction, amount] = self.required;
        let [
            business_id,
            flow_id,
            business_name,
            business_type,
            applicant,
            remark,
            voucher_no,
        ] = self.text.map(|i| row.text(i));
        let direction = match row.value(direction) {
            "收入" => FundDirection::Income,
            "支出" => FundDirection::Expense,
            other => FundDirection::Unknown(other.to_owned()),
        };
        Ok(FundFlowRow {
            line: row.line,
            time: row.time(time)?,
            business_id,
            flow_id,
            business_name,
            business_type,
            direction,
            amount: row.required_amount(amount)?,
            balance: row.amount(self.balance)?,
            applicant,
            remark,
            voucher_no,
            fields: row.fields(header),
        })
    }
}

/// Column names compare with full-width and ASCII parentheses alike, and without surrounding
/// spaces.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |c: char| match c {
        '（' => '(',
        '）' => ')',
        c => c,
    };
    a.trim().chars().map(norm).eq(b.trim().chars().map(norm))
}

fn position(columns: &[String], name: &str) -> Option<usize> {
    columns.iter().position(|c| same_name(c, name))
}

/// Cuts a quoted value to 40 characters.
fn quoted(value: &str) -> String {
    let mut cut: String = value.chars().take(40).collect();
    if cut.len() < value.len() {
        cut.push('…');
    }
    cut
}

/// A header row: its column names and line.
#[derive(Debug)]
struct Header {
    line: usize,
    columns: Arc<[String]>,
}

impl Header {
    fn find(&self, name: &str) -> Option<usize> {
        position(&self.columns, name)
    }

    fn require(&self, name: &'static str) -> Result<usize, BillParseError> {
        self.find(name).ok_or(BillParseError {
            line: self.line,
            column: None,
            problem: BillProblem::MissingColumn(name),
        })
    }
}

/// A data row, backticks removed, with as many fields as its header.
#[derive(Debug)]
struct Row {
    line: usize,
    values: Vec<String>,
    /// The header's names, for errors.
    columns: Arc<[String]>,
}

impl Row {
    /// Splits a data line where a comma is followed by a backtick: every field starts with
    /// one, and a value may hold commas. A row that does not split into its header's count
    /// that way but does at every comma lost a backtick: the first field without one is
    /// named.
    fn read(line: usize, text: &str, header: &Header) -> Result<Self, BillParseError> {
        let expected = header.columns.len();
        let values: Vec<&str> = match text.strip_prefix('`') {
            Some(rest) => rest.split(",`").collect(),
            None => Vec::new(),
        };
        if values.len() == expected {
            return Ok(Self {
                line,
                values: values.into_iter().map(str::to_owned).collect(),
                columns: header.columns.clone(),
            });
        }
        let fields: Vec<&str> = text.split(',').collect();
        let bare = fields.iter().position(|f| !f.starts_with('`'));
        match bare {
            Some(index) if fields.len() == expected || values.is_empty() => Err(BillParseError {
                line,
                column: Some(Column {
                    index: index + 1,
                    name: header.columns.get(index).cloned().unwrap_or_default(),
                }),
                problem: BillProblem::MissingBacktick,
            }),
            _ => Err(BillParseError {
                line,
                column: None,
                problem: BillProblem::ColumnCount {
                    expected,
                    found: values.len(),
                },
            }),
        }
    }

    fn error(&self, index: usize, problem: BillProblem) -> BillParseError {
        BillParseError {
            line: self.line,
            column: Some(Column {
                index: index + 1,
                name: self.columns[index].clone(),
            }),
            problem,
        }
    }

    fn value(&self, index: usize) -> &str {
        &self.values[index]
    }

    fn text(&self, index: Option<usize>) -> String {
        index.map(|i| self.values[i].clone()).unwrap_or_default()
    }

    fn time(&self, index: usize) -> Result<OffsetDateTime, BillParseError> {
        let text = self.value(index);
        parse_time(text).ok_or_else(|| self.error(index, BillProblem::Time(quoted(text))))
    }

    fn optional_time(
        &self,
        index: Option<usize>,
    ) -> Result<Option<OffsetDateTime>, BillParseError> {
        match index {
            Some(i) if !self.value(i).is_empty() => self.time(i).map(Some),
            _ => Ok(None),
        }
    }

    fn required_amount(&self, index: usize) -> Result<i64, BillParseError> {
        let text = self.value(index);
        parse_fen(text).ok_or_else(|| self.error(index, BillProblem::Amount(quoted(text))))
    }

    fn amount(&self, index: Option<usize>) -> Result<Option<i64>, BillParseError> {
        match index {
            Some(i) if !self.value(i).is_empty() => self.required_amount(i).map(Some),
            _ => Ok(None),
        }
    }

    fn count(&self, index: usize) -> Result<u64, BillParseError> {
        let text = self.value(index);
        parse_count(text).ok_or_else(|| self.error(index, BillProblem::Count(quoted(text))))
    }

    fn optional_count(&self, index: Option<usize>) -> Result<Option<u64>, BillParseError> {
        match index {
            Some(i) if !self.value(i).is_empty() => self.count(i).map(Some),
            _ => Ok(None),
        }
    }

    fn fields(&self, header: &Header) -> Fields {
        Fields {
            columns: header.columns.clone(),
            values: self.values.clone(),
        }
    }
}

/// A bill file read as a stream: its header, then its detail rows one at a time, then its
/// summary header and row.
#[derive(Debug)]
struct Stream<R> {
    lines: Lines<R>,
    header: Header,
    /// The first column of the summary header.
    summary_first: &'static str,
    /// Once the rows are over: the summary header and row, or the error that ended them.
    end: Option<Result<(Header, Row), BillParseError>>,
}

impl<R: BufRead> Stream<R> {
    /// Reads the header row.
    fn open(input: R, summary_first: &'static str) -> Result<Self, BillParseError> {
        let mut lines = Lines {
            input,
            buf: Vec::new(),
            line: 0,
        };
        let (line, first) = lines.next()?.ok_or(error(1, BillProblem::Empty))?;
        if first.starts_with('`') {
            return Err(error(line, BillProblem::HeaderIsData));
        }
        let header = header(line, first);
        Ok(Self {
            lines,
            header,
            summary_first,
            end: None,
        })
    }

    /// The next detail row; `None` once the rows are over. The summary header is the first
    /// row that is not backtick-prefixed; its first column must be `summary_first`, or the
    /// row is taken for a detail row that lost its backticks. The first error is given once,
    /// then kept for [`Stream::end`].
    fn next_row(&mut self) -> Option<Result<Row, BillParseError>> {
        if self.end.is_some() {
            return None;
        }
        let row = match self.lines.next() {
            Err(e) => Err(e),
            Ok(None) => {
                self.end = Some(Err(error(self.lines.line + 1, BillProblem::NoSummary)));
                return None;
            }
            Ok(Some((line, text))) if text.starts_with('`') => Row::read(line, text, &self.header),
            Ok(Some((line, text))) => {
                let candidate = header(line, text);
                let first = candidate.columns.first();
                if first.is_some_and(|c| same_name(c, self.summary_first)) {
                    self.end = Some(self.summary(candidate));
                    return None;
                }
                // A detail row missing its backticks: report its first bare field.
                Err(Row::read(line, text, &self.header)
                    .err()
                    .unwrap_or(error(line, BillProblem::MissingBacktick)))
            }
        };
        if let Err(e) = &row {
            self.end = Some(Err(e.clone()));
        }
        Some(row)
    }

    /// The summary row after its header, and nothing after it.
    fn summary(&mut self, header: Header) -> Result<(Header, Row), BillParseError> {
        let (line, text) = self
            .lines
            .next()?
            .ok_or(error(header.line, BillProblem::NoSummaryRow))?;
        let row = Row::read(line, text, &header)?;
        if let Some((line, _)) = self.lines.next()? {
            return Err(error(line, BillProblem::TrailingLine));
        }
        Ok((header, row))
    }

    /// The summary header and row (once [`Stream::next_row`] gave `None`), or the error that
    /// ended the rows.
    fn end(self) -> Result<(Header, Row), BillParseError> {
        self.end
            .unwrap_or_else(|| Err(error(self.lines.line + 1, BillProblem::NoSummary)))
    }
}

fn error(line: usize, problem: BillProblem) -> BillParseError {
    BillParseError {
        line,
        column: None,
        problem,
    }
}

/// The lines of a bill, read one at a time into one buffer of at most [`MAX_LINE_BYTES`].
#[derive(Debug)]
struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    /// The number of the line last read (1-based; 0 before the first).
    line: usize,
}

impl<R: BufRead> Lines<R> {
    /// The next line that is not blank, with its number, without its line ending (nor, on
    /// the first line, a byte order mark); `None` at the end of the input.
    fn next(&mut self) -> Result<Option<(usize, &str)>, BillParseError> {
        let range = loop {
            self.buf.clear();
            let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX);
            let read = <&mut R as std::io::Read>::take(&mut self.input, limit)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| error(self.line + 1, BillProblem::Read(e.to_string())))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if !self.buf.ends_with(b"\n") && self.buf.len() == MAX_LINE_BYTES {
                return Err(error(self.line, BillProblem::LineTooLong));
            }
            let start = match self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                true => 3,
                false => 0,
            };
            let content = self.buf[start..]
                .strip_suffix(b"\n")
                .unwrap_or(&self.buf[start..]);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            let end = start + content.len();
            let text = std::str::from_utf8(&self.buf[start..end])
                .map_err(|_| error(self.line, BillProblem::NotUtf8))?;
            if !text.trim().is_empty() {
                break start..end;
            }
        };
        // Checked as UTF-8 in the loop.
        let text = std::str::from_utf8(&self.buf[range]).unwrap_or_default();
        Ok(Some((self.line, text)))
    }
}

fn header(line: usize, text: &str) -> Header {
    Header {
        line,
        columns: text.split(',').map(|c| c.trim().to_owned()).collect(),
    }
}

/// `yyyy-MM-dd HH:mm:ss`, Beijing time.
fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if text.len() != 19 {
        return None;
    }
    PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_offset(offset!(+8)))
}

/// Yuan into fen, exactly: `-?digits(.digits)?`, at most two significant decimals (more digits
/// only if they are zeros, as in the fee column's `0.01000`).
fn parse_fen(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || unsigned.ends_with('.') {
        return None;
    }
    let (cents, rest) = fraction.split_at(fraction.len().min(2));
    if rest.bytes().any(|b| b != b'0') {
        return None;
    }
    let cents = format!("{cents:0<2}").parse::<i64>().ok()?;
    let fen = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    Some(if negative { -fen } else { fen })
}

/// A count: digits, with a zero fraction allowed (`20.0`, as the fund-flow summary writes).
fn parse_count(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.is_empty()
        || !fraction.bytes().all(|b| b == b'0')
    {
        return None;
    }
    whole.parse().ok()
}

#[cfg(test)]
mod tests {
    //! Properties of the parser: any bill written in the official format reads back exactly,
    //! whatever the order of its columns; a field without its backtick is an error naming its
    //! line and column; arbitrary input is an error or a bill, never a panic.

    use super::*;
    use proptest::prelude::*;

    const ALL: [&str; 27] = [
        "交易时间",
        "公众账号ID",
        "商户号",
        "特约商户号",
        "设备号",
        "微信订单号",
        "商户订单号",
        "用户标识",
        "交易类型",
        "交易状态",
        "付款银行",
        "货币种类",
        "应结订单金额",
        "代金券金额",
        "微信退款单号",
        "商户退款单号",
        "退款金额",
        "充值券退款金额",
        "退款类型",
        "退款状态",
        "商品名称",
        "商户数据包",
        "手续费",
        "费率",
        "订单金额",
        "申请退款金额",
        "费率备注",
    ];
    const SUMMARY: [&str; 7] = [
        "总交易单数",
        "应结订单总金额",
        "退款总金额",
        "充值券退款总金额",
        "手续费总金额",
        "订单总金额",
        "申请退款总金额",
    ];

    fn yuan(fen: i64) -> String {
        let sign = if fen < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:02}",
            fen.unsigned_abs() / 100,
            fen.unsigned_abs() % 100
        )
    }

    fn bill(
        header: &[&str],
        rows: &[Vec<String>],
        summary_header: &[&str],
        summary: &[String],
    ) -> String {
        let data = |row: &[String]| {
            row.iter()
                .map(|v| format!("`{v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut text = header.join(",") + "\r\n";
        for row in rows {
            text += &(data(row) + "\r\n");
        }
        text += &(summary_header.join(",") + "\r\n");
        text += &(data(summary) + "\r\n");
        text
    }

    const SAMPLE: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
`2019-06-10 10:11:12,`wxd678efh567hg6787,`1230000109,`0,`,`4200000000201906101234567890,`1217752501201407033233368018,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Image形象店-深圳腾大-QQ公仔,`,`0.01000,`0.60%,`1.00,`0.00,`
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
`1,`1.00,`0.00,`0.00,`0.01000,`1.00,`0.00
";

    #[test]
    fn the_specs_example_bill() {
        let bill = TradeBill::parse(SAMPLE).unwrap();
        assert_eq!(bill.rows.len(), 1);
        let row = &bill.rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(
            row.trade_time,
            time::macros::datetime!(2019-06-10 10:11:12 +8)
        );
        assert_eq!(row.transaction_id, "4200000000201906101234567890");
        assert_eq!(row.sub_mchid, "0");
        assert_eq!(row.device_info, "");
        assert_eq!(row.settlement_total, Some(100));
        assert_eq!(row.fee, Some(1));
        assert_eq!(row.fee_rate, "0.60%");
        assert_eq!(row.refund_create_time, None);
        assert_eq!(
            row.fields.get("商品名称"),
            Some("Image形象店-深圳腾大-QQ公仔")
        );
        assert_eq!(row.fields.len(), 27);
        assert_eq!(bill.summary.count, 1);
        assert_eq!(bill.summary.fee_total, Some(1));
        assert_eq!(bill.summary.order_total, Some(100));
        assert_eq!(bill.summary.line, 4);
    }

    #[test]
    fn amounts_are_exact_fen() {
        for (text, fen) in [
            ("0.01", Some(1)),
            ("1", Some(100)),
            ("1.5", Some(150)),
            ("12345678.90", Some(1_234_567_890)),
            ("-0.01000", Some(-1)),
            ("0.00600", None),
            ("0.001", None),
            ("1.", None),
            (".5", None),
            ("1,00", None),
            ("+1.00", None),
            ("1e3", None),
            ("", None),
            ("-", None),
            ("99999999999999999999", None),
        ] {
            assert_eq!(parse_fen(text), fen, "{text}");
        }
        assert_eq!(parse_count("20.0"), Some(20));
        assert_eq!(parse_count("20.5"), None);
        assert_eq!(parse_count("20."), None);
    }

    #[test]
    fn malformed_bills_are_located_errors() {
        let lines: Vec<&str> = SAMPLE.lines().collect();
        let with_row = |row: &str| format!("{}\n{row}\n{}\n{}\n", lines[0], lines[2], lines[3]);
        let cases = [
            (
                with_row(&lines[1].replacen("`wxd", "wxd", 1)),
                2,
                Some(2),
                "backtick",
            ),
            (
                with_row(&lines[1].replacen("`2019", "2019", 1)),
                2,
                Some(1),
                "backtick",
            ),
            (
                with_row(&format!("{},`extra", lines[1])),
                2,
                None,
                "28 fields",
            ),
            (
                with_row(&lines[1].replacen("`1.00", "`1.0.0", 1)),
                2,
                Some(13),
                "amount",
            ),
            (
                with_row(&lines[1].replacen("10:11:12", "25:11:12", 1)),
                2,
                Some(1),
                "time",
            ),
            (format!("{}\n{}\n", lines[0], lines[1]), 3, None, "summary"),
            (
                format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]),
                3,
                None,
                "summary row",
            ),
            (format!("{SAMPLE}`1\n"), 5, None, "after the summary"),
            (lines[1].to_owned(), 1, None, "header"),
            (String::new(), 1, None, "empty"),
            (
                SAMPLE.replace("微信订单号", "订单号"),
                1,
                None,
                "微信订单号",
            ),
        ];
        for (text, line, column, word) in cases {
            let err = TradeBill::parse(&text).unwrap_err();
            assert_eq!(err.line, line, "{err}");
            assert_eq!(err.column.as_ref().map(|c| c.index), column, "{err}");
            assert!(err.to_string().contains(word), "{err}");
        }
        let mut bytes = SAMPLE.as_bytes().to_vec();
        bytes.insert(SAMPLE.find("`1,").unwrap(), 0xFF);
        let err = TradeBill::parse(&bytes).unwrap_err();
        assert_eq!((err.line, err.problem), (4, BillProblem::NotUtf8));
    }

    #[test]
    fn fund_flow_bills_with_either_parentheses() {
        let bill = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号
`2018-02-01 04:21:23,`50000305742018020103387128253,`1900009231201802015884652186,`退款,`退款,`支出,`0.02,`0.17,`system,`缺货,`REF4200000068201801293084726067
资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额
`20.0,`17.0,`0.35,`3.0,`0.18
";
        for text in [bill.to_owned(), bill.replace("(元)", "（元）")] {
            let parsed = FundFlowBill::parse(&text).unwrap();
            let row = &parsed.rows[0];
            assert_eq!(row.direction, FundDirection::Expense);
            assert_eq!(
                (row.amount, row.signed_amount(), row.balance),
                (2, Some(-2), Some(17))
            );
            assert_eq!(row.voucher_no, "REF4200000068201801293084726067");
            assert_eq!(row.fields.get("收支金额（元）"), Some("0.02"));
            assert_eq!(row.fields.get("收支金额(元)"), Some("0.02"));
            let s = &parsed.summary;
            assert_eq!(
                (s.count, s.income_count, s.income),
                (20, Some(17), Some(35))
            );
            assert_eq!((s.expense_count, s.expense), (Some(3), Some(18)));
        }
    }

    /// A trade row as the generator makes it: one value per column of [`ALL`], the typed
    /// ones in their textual form.
    fn trade_row() -> impl Strategy<Value = Vec<String>> {
        let id = "[0-9A-Za-z_-]{0,32}";
        let text = "[^,\r\n`]{0,12}";
        let amount = (-1_000_000_000i64..1_000_000_000).prop_map(yuan);
        let time = (0i64..2_000_000_000).prop_map(|s| {
            let t = OffsetDateTime::from_unix_timestamp(s)
                .unwrap()
                .to_offset(offset!(+8));
            let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            t.format(f).unwrap()
        });
        (
            time,
            proptest::collection::vec(id, 11),
            proptest::collection::vec(amount, 7),
            proptest::collection::vec(text, 9),
        )
            .prop_map(|(time, ids, amounts, texts)| {
                let mut ids = ids.into_iter();
                let mut amounts = amounts.into_iter();
                let mut texts = texts.into_iter();
                ALL.iter()
                    .map(|name| match *name {
                        "交易时间" => time.clone(),
                        "应结订单金额"
                        | "代金券金额"
                        | "退款金额"
                        | "充值券退款金额"
                        | "订单金额"
                        | "申请退款金额" => amounts.next().unwrap_or_default(),
                        "手续费" => format!("{}000", amounts.next().unwrap_or_default()),
                        "商品名称" | "商户数据包" | "费率" | "费率备注" | "设备号" | "退款类型"
                        | "退款状态" | "付款银行" | "货币种类" => {
                            texts.next().unwrap_or_default()
                        }
                        _ => ids.next().unwrap_or_default(),
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn commas_backticks_and_quotes_inside_values_stay_in_them(
            rows in proptest::collection::vec(trade_row(), 1..5),
            texts in proptest::collection::vec(
                "[a-z,`\"'{}: ]{0,24}".prop_filter("a comma before a backtick splits", |t: &String| !t.contains(",`")),
                10,
            ),
        ) {
            let columns = ["商品名称", "商户数据包"];
            let mut rows = rows;
            let mut texts = texts.into_iter().cycle();
            for row in &mut rows {
                for name in columns {
                    row[ALL.iter().position(|c| *c == name).unwrap()] = texts.next().unwrap();
                }
            }
            let summary: Vec<String> = ["0", "0", "0", "0", "0", "0", "0"].map(String::from).to_vec();
            let parsed = TradeBill::parse(bill(&ALL, &rows, &SUMMARY, &summary)).unwrap();
            for (row, written) in parsed.rows.iter().zip(&rows) {
                let value = |name: &str| written[ALL.iter().position(|c| *c == name).unwrap()].clone();
                prop_assert_eq!(&row.description, &value("商品名称"));
                prop_assert_eq!(&row.attach, &value("商户数据包"));
                prop_assert_eq!(row.fields.len(), ALL.len());
            }
        }

        #[test]
        fn trade_bills_round_trip_in_any_column_order(
            rows in proptest::collection::vec(trade_row(), 0..8),
            order in Just((0..ALL.len()).collect::<Vec<_>>()).prop_shuffle(),
            totals in proptest::collection::vec(-1_000_000i64..1_000_000, 6),
        ) {
            let header: Vec<&str> = order.iter().map(|&i| ALL[i]).collect();
            let shuffled: Vec<Vec<String>> =
                rows.iter().map(|r| order.iter().map(|&i| r[i].clone()).collect()).collect();
            let mut summary = vec![rows.len().to_string()];
            summary.extend(totals.iter().map(|&f| yuan(f)));
            let text = bill(&header, &shuffled, &SUMMARY, &summary);
            let parsed = TradeBill::parse(&text).unwrap();
            prop_assert_eq!(parsed.rows.len(), rows.len());
            for (i, (row, written)) in parsed.rows.iter().zip(&rows).enumerate() {
                prop_assert_eq!(row.line, i + 2);
                let value = |name: &str| written[ALL.iter().position(|c| *c == name).unwrap()].clone();
                prop_assert_eq!(&row.transaction_id, &value("微信订单号"));
                prop_assert_eq!(&row.out_trade_no, &value("商户订单号"));
                prop_assert_eq!(&row.description, &value("商品名称"));
                prop_assert_eq!(row.total, parse_fen(&value("订单金额")));
                prop_assert_eq!(row.refund, parse_fen(&value("退款金额")));
                prop_assert_eq!(row.fee, parse_fen(&value("手续费")));
                prop_assert_eq!(Some(row.trade_time), parse_time(&value("交易时间")));
                for name in ALL {
                    let expected = value(name);
                    prop_assert_eq!(row.fields.get(name), Some(expected.as_str()));
                }
            }
            prop_assert_eq!(parsed.summary.count, rows.len() as u64);
            prop_assert_eq!(parsed.summary.settlement_total, Some(totals[0]));
            prop_assert_eq!(parsed.summary.refund_requested_total, Some(totals[5]));
        }

        #[test]
        fn a_field_without_its_backtick_is_named(
            rows in proptest::collection::vec(trade_row(), 1..5),
            which in any::<proptest::sample::Index>(),
            column in 0..ALL.len(),
        ) {
            let summary: Vec<String> = ["0", "0", "0", "0", "0", "0", "0"].map(String::from).to_vec();
            let text = bill(&ALL, &rows, &SUMMARY, &summary);
            let row = which.index(rows.len());
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            let mut fields: Vec<&str> = lines[row + 1].split(',').collect();
            fields[column] = &fields[column][1..];
            let joined = fields.join(",");
            lines[row + 1] = joined;
            let err = TradeBill::parse(lines.join("\n")).unwrap_err();
            prop_assert_eq!(err.line, row + 2);
            prop_assert_eq!(err.problem, BillProblem::MissingBacktick);
            prop_assert_eq!(err.column.map(|c| (c.index, c.name)), Some((column + 1, ALL[column].to_owned())));
        }

        #[test]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = TradeBill::parse(&bytes);
            let _ = FundFlowBill::parse(&bytes);
        }

        #[test]
        fn arbitrary_lines_never_panic(
            lines in proptest::collection::vec("[`,0-9a-z.: \\-总交易单数资金流水笔]{0,40}", 0..8),
        ) {
            let text = format!("{}\n{}", ALL.join(","), lines.join("\n"));
            let _ = TradeBill::parse(&text);
            let _ = FundFlowBill::parse(&text);
        }
    }
}
