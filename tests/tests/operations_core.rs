//! The payment-core groups (bills, media, mainland complaints, merchant transfers, profit
//! sharing): every operation called once with its required members against the mock over real
//! HTTP, the decoded answer checked. Uploads and downloads included.

mod common;

use common::*;
use wechatpay_api::bills::{
    ApplyFundFlowBill, ApplySubMerchantFundFlowBill, ApplySubMerchantFundFlowBillAlgorithm,
    ApplySubMerchantFundFlowBillRequired, ApplyTradeBill, DownloadBill, HashType,
    SubMerchantFundAccountType,
};
use wechatpay_api::media::{UploadMediaImage, UploadMediaVideo};
use wechatpay_api::merchant_complaints::{
    CompleteMerchantComplaint, CompleteMerchantComplaintRequired,
    CreateMerchantComplaintNotification, DeleteMerchantComplaintNotification,
    DownloadMerchantComplaintImage, ListMerchantComplaintNegotiationHistory,
    ListMerchantComplaints, ListMerchantComplaintsRequired, MerchantComplaintState,
    QueryMerchantComplaint, QueryMerchantComplaintNotification, RefundApprovalAction,
    RespondMerchantComplaint, RespondMerchantComplaintRequired,
    UpdateMerchantComplaintNotification, UpdateMerchantComplaintRefundProgress,
    UpdateMerchantComplaintRefundProgressRequired,
};
use wechatpay_api::pay_transactions::{
    Amount, JsapiPrepay, JsapiPrepayRequired, Payer, QueryOrderByOutTradeNo,
    QueryOrderByOutTradeNoRequired,
};
use wechatpay_api::profit_sharing::{
    AddProfitSharingReceiver, AddProfitSharingReceiverRequired, CreateProfitSharingOrder,
    CreateProfitSharingOrderRequired, CreateProfitSharingReturnOrder,
    CreateProfitSharingReturnOrderRequired, DeleteProfitSharingReceiver,
    DeleteProfitSharingReceiverRequired, ProfitSharingOrderState, ProfitSharingReceiverShare,
    ProfitSharingReceiverShareRequired, ProfitSharingReceiverType, ProfitSharingRelationType,
    ProfitSharingReturnResult, QueryProfitSharingOrder, QueryProfitSharingOrderRequired,
    QueryProfitSharingReturnOrder, QueryProfitSharingReturnOrderRequired,
    QueryProfitSharingUnsplitAmount, UnfreezeProfitSharingOrder,
    UnfreezeProfitSharingOrderRequired,
};
use wechatpay_api::time::macros::datetime;
use wechatpay_api::transfer_bills::{
    CancelTransferBill, CreateTransferBill, CreateTransferBillRequired,
    QueryTransferBillByOutBillNo, QueryTransferBillByTransferBillNo, TransferBillCancelState,
    TransferBillState, TransferSceneReportInfo, TransferSceneReportInfoRequired,
};
use wechatpay_api::{Checksum, Error, Upload};

const COMPLAINT_ID: &str = "200201820200101080076610000";

#[tokio::test]
async fn bills() {
    let mock = mock();
    let client = client(&mock);
    // A bill lists the day's trades: one order paid on 2019-06-11 (a day without any has no
    // bill, 400 `NO_STATEMENT_EXIST`).
    mock.set_time(Some(datetime!(2019-06-11 10:11:12 +8)));
    let mchid = mock.credentials().mchid.clone();
    let order = JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: (&mchid).into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "1217752501201407033233368018".into(),
        notify_url: "https://merchant.example.com/notify".into(),
        amount: Amount::new(100),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    });
    client.execute(&order).await.unwrap();
    mock.pay("1217752501201407033233368018").unwrap();
    let trade = client
        .execute(&ApplyTradeBill::new("2019-06-11"))
        .await
        .unwrap()
        .data;
    assert_eq!(trade.hash_type, HashType::Sha1);
    assert_eq!(trade.hash_value.len(), 40);
    let on_the_mock = format!("{}/v3/billdownload/file?token=", mock.base_url());
    assert!(
        trade.download_url.starts_with(&on_the_mock),
        "{}",
        trade.download_url
    );
    let fund = client
        .execute(&ApplyFundFlowBill::new("2019-06-11"))
        .await
        .unwrap()
        .data;
    assert_eq!(fund.hash_type, HashType::Sha1);
    assert!(fund.download_url.starts_with(&on_the_mock));
    let sub = client
        .execute(&ApplySubMerchantFundFlowBill::new(
            ApplySubMerchantFundFlowBillRequired {
                sub_mchid: "19000000001".into(),
                bill_date: "2019-06-11".into(),
                account_type: SubMerchantFundAccountType::Basic,
                algorithm: ApplySubMerchantFundFlowBillAlgorithm::AeadAes256Gcm,
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(sub.download_bill_count, 1);
    let list = sub.download_bill_list.unwrap();
    assert_eq!(list[0].bill_sequence, 1);
    assert_eq!(list[0].hash_type, HashType::Sha1);
    assert!(!list[0].encrypt_key.is_empty() && !list[0].nonce.is_empty());
    // The download: unsigned, streamed, checked against the apply answer's digest.
    let token = &trade.download_url[on_the_mock.len()..];
    let checksum = Checksum::new(trade.hash_type.as_str(), trade.hash_value.as_str()).unwrap();
    let mut file = Vec::new();
    let done = client
        .download(&DownloadBill::new(token), &mut file, Some(&checksum))
        .await
        .unwrap();
    assert_eq!(done.len, file.len() as u64);
    let text = String::from_utf8(file).unwrap();
    assert!(text.starts_with("交易时间,公众账号ID,商户号"), "{text}");
    assert!(text.contains("`1217752501201407033233368018"), "{text}");
    // A token the mock did not hand out gets the spec's example file.
    let mut example = Vec::new();
    client
        .download(&DownloadBill::new("xxx"), &mut example, None)
        .await
        .unwrap();
    let example = String::from_utf8(example).unwrap();
    assert!(
        example.contains("`4200000000201906101234567890"),
        "{example}"
    );
    let targets: Vec<String> = mock.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets[1], "/v3/bill/tradebill?bill_date=2019-06-11");
    assert_eq!(targets[4], format!("/v3/billdownload/file?token={token}"));
    assert_eq!(targets[5], "/v3/billdownload/file?token=xxx");
}

#[tokio::test]
async fn media_uploads() {
    let mock = mock();
    let client = client(&mock);
    let image = Upload::new("filea.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0]);
    let uploaded = client
        .execute(&UploadMediaImage::new(image))
        .await
        .unwrap()
        .data;
    assert_eq!(
        uploaded.media_id,
        "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhSrSAi4Z8"
    );
    let video = Upload::new("file_test.mp4", &b"\0\0\0\x18ftypmp42"[..]);
    let uploaded = client
        .execute(&UploadMediaVideo::new(video))
        .await
        .unwrap()
        .data;
    assert!(uploaded.media_id.starts_with("6uqyGjGrCf2GtyXP8bxrbuH9"));
    let ops: Vec<Option<String>> = mock
        .requests()
        .iter()
        .map(|r| r.operation_id.clone())
        .collect();
    assert_eq!(
        ops,
        [
            Some("uploadMediaImage".to_owned()),
            Some("uploadMediaVideo".to_owned())
        ]
    );
}

#[tokio::test]
async fn merchant_complaints() {
    let mock = mock();
    let client = client(&mock);
    let list = client
        .execute(&ListMerchantComplaints::new(
            ListMerchantComplaintsRequired {
                begin_date: "2019-01-01".into(),
                end_date: "2019-01-01".into(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!((list.limit, list.offset), (5, 10));
    let first = &list.data.unwrap()[0];
    assert_eq!(first.complaint_id, COMPLAINT_ID);
    let detail = client
        .execute(&QueryMerchantComplaint::new(COMPLAINT_ID))
        .await
        .unwrap()
        .data;
    assert_eq!(detail.complaint_state, MerchantComplaintState::Pending);
    assert_eq!(detail.complaint_order_info.as_ref().unwrap()[0].amount, 3);
    assert_eq!(detail.complaint_time.year(), 2015);
    assert!(detail.payer_phone.is_some());
    assert!(
        !format!("{detail:?}").contains("Ghx1mZbU4jmaHJsb"),
        "encrypted fields are redacted"
    );
    let history = client
        .execute(&ListMerchantComplaintNegotiationHistory::new(COMPLAINT_ID))
        .await
        .unwrap()
        .data;
    assert_eq!(
        history.data.unwrap()[0].log_id,
        "300285320210322170000071077"
    );
    let r = client
        .execute(&RespondMerchantComplaint::new(
            RespondMerchantComplaintRequired {
                complaint_id: COMPLAINT_ID.into(),
                complainted_mchid: "1900012181".into(),
                response_content: "已与用户沟通解决".into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!((r.status, r.data), (204, ()));
    let r = client
        .execute(&CompleteMerchantComplaint::new(
            CompleteMerchantComplaintRequired {
                complaint_id: COMPLAINT_ID.into(),
                complainted_mchid: "1900012181".into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let r = client
        .execute(&UpdateMerchantComplaintRefundProgress::new(
            UpdateMerchantComplaintRefundProgressRequired {
                complaint_id: COMPLAINT_ID.into(),
                action: RefundApprovalAction::Approve,
            },
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let url = "https://www.xxx.com/notify";
    let created = client
        .execute(&CreateMerchantComplaintNotification::new(url))
        .await
        .unwrap()
        .data;
    // The answer names the mock's own merchant.
    assert_eq!(
        (created.mchid.as_str(), created.url.as_str()),
        (mock.credentials().mchid.as_str(), url)
    );
    let queried = client
        .execute(&QueryMerchantComplaintNotification)
        .await
        .unwrap()
        .data;
    assert_eq!(queried, created);
    let updated = client
        .execute(&UpdateMerchantComplaintNotification::new(url))
        .await
        .unwrap()
        .data;
    assert_eq!(updated, created);
    let deleted = client
        .execute(&DeleteMerchantComplaintNotification)
        .await
        .unwrap();
    assert_eq!(deleted.status, 204);
    let mut image = Vec::new();
    client
        .download(
            &DownloadMerchantComplaintImage::new(
                "ChsyMDAwMDAwMjAyNDExMDgxNTAyMjQ4MTU1MTgYBSCIk8y5BigBMAE4AQ==",
            ),
            &mut image,
            None,
        )
        .await
        .unwrap();
    assert_eq!(image, b"JFIF: the bytes of a complaint image");
    let log = mock.requests();
    assert_eq!(log.len(), 11);
    assert!(log.iter().all(|r| r.status / 100 == 2), "{log:?}");
    assert_eq!(
        log[10].target,
        "/v3/merchant-service/images/ChsyMDAwMDAwMjAyNDExMDgxNTAyMjQ4MTU1MTgYBSCIk8y5BigBMAE4AQ%3D%3D"
    );
}

#[tokio::test]
async fn transfer_bills() {
    let mock = mock();
    let client = client(&mock);
    let op = CreateTransferBill::new(CreateTransferBillRequired {
        appid: "wxf636efh567hg4356".into(),
        out_bill_no: "plfk2020042013".into(),
        transfer_scene_id: "1000".into(),
        openid: "o-MYE42l80oelYMDE34nYD456Xoy".into(),
        transfer_amount: 400000,
        transfer_remark: "2020年4月报销".into(),
        transfer_scene_report_infos: vec![TransferSceneReportInfo::new(
            TransferSceneReportInfoRequired {
                info_type: "活动名称".into(),
                info_content: "新会员有礼".into(),
            },
        )],
    })
    .with_user_name("张三");
    let created = client.execute(&op).await.unwrap().data;
    assert_eq!(created.out_bill_no, "plfk2020042013");
    // Waiting for the user, with its own bill number and the package to open the confirm page.
    let no = created.transfer_bill_no.clone();
    assert_eq!(no.len(), 34, "{no}");
    assert!(no.starts_with("1330000") && no.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(created.state, TransferBillState::WaitUserConfirm);
    assert!(created
        .package_info
        .as_deref()
        .is_some_and(|p| !p.is_empty()));
    // The name left the client encrypted, with the key id in `Wechatpay-Serial`.
    let sent = &mock.requests()[0];
    let body = String::from_utf8_lossy(&sent.body);
    assert!(!body.contains("张三"), "{body}");
    assert_eq!(
        sent.header("Wechatpay-Serial"),
        Some(mock.credentials().public_key_id.as_str())
    );
    let by_out = client
        .execute(&QueryTransferBillByOutBillNo::new("plfk2020042013"))
        .await
        .unwrap()
        .data;
    // The merchant's own id, not the example's.
    assert_eq!(
        (by_out.transfer_amount, by_out.mch_id.as_str()),
        (400000, mock.credentials().mchid.as_str())
    );
    let by_no = client
        .execute(&QueryTransferBillByTransferBillNo::new(no.clone()))
        .await
        .unwrap()
        .data;
    assert_eq!(by_no.state, TransferBillState::WaitUserConfirm);
    let cancelled = client
        .execute(&CancelTransferBill::new("plfk2020042013"))
        .await
        .unwrap()
        .data;
    // Accepted: the cancel completes later.
    assert_eq!(cancelled.state, TransferBillCancelState::Canceling);
    assert_eq!(
        mock.requests()[3].target,
        "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/plfk2020042013/cancel"
    );
    // Being cancelled, the user can no longer confirm it; the cancel completes with its
    // notification.
    assert!(mock.scenario("transfer_bill", &no, "confirm").is_none());
    assert!(mock.scenario("transfer_bill", &no, "cancelled").is_some());
    assert_eq!(
        mock.state_of("transfer_bill", "plfk2020042013").as_deref(),
        Some("CANCELLED")
    );
}

#[tokio::test]
async fn profit_sharing() {
    let mock = mock();
    let client = client(&mock);
    // A paid order to share, named by the transaction id the platform gave it.
    let mchid = mock.credentials().mchid.clone();
    let order = JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: (&mchid).into(),
        description: "to share".into(),
        out_trade_no: "SHARE-0001".into(),
        notify_url: "https://merchant.example.com/notify".into(),
        amount: Amount::new(1000),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    });
    client.execute(&order).await.unwrap();
    let unpaid_share = |no: &str| {
        CreateProfitSharingOrder::new(CreateProfitSharingOrderRequired {
            transaction_id: "4208450740201411110007820472".into(),
            out_order_no: no.into(),
            receivers: vec![],
            unfreeze_unsplit: true,
        })
    };
    // No such paid order: refused as the page says.
    let refused = client.execute(&unpaid_share("P-NONE")).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Api(e) if e.code == "INVALID_REQUEST"),
        "{refused:?}"
    );
    mock.pay("SHARE-0001").unwrap();
    let transaction_id = client
        .execute(&QueryOrderByOutTradeNo::new(
            QueryOrderByOutTradeNoRequired {
                out_trade_no: "SHARE-0001".into(),
                mchid: mchid.clone(),
            },
        ))
        .await
        .unwrap()
        .data
        .transaction_id
        .unwrap();
    let receiver = ProfitSharingReceiverShare::new(ProfitSharingReceiverShareRequired {
        type_: ProfitSharingReceiverType::PersonalOpenid,
        account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        amount: 888,
        description: "分给个人A".into(),
    })
    .with_name("张三");
    let order = client
        .execute(&CreateProfitSharingOrder::new(
            CreateProfitSharingOrderRequired {
                transaction_id: transaction_id.clone(),
                out_order_no: "P20150806125346".into(),
                receivers: vec![receiver],
                unfreeze_unsplit: true,
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(order.order_id.len(), 28, "{}", order.order_id);
    assert_eq!(order.state, ProfitSharingOrderState::Processing);
    assert_eq!(order.transaction_id, transaction_id);
    assert_eq!(order.receivers.as_ref().unwrap()[0].amount, 888);
    let sent = (mock.requests().into_iter())
        .find(|r| r.operation_id.as_deref() == Some("createProfitSharingOrder") && r.status == 200)
        .unwrap();
    assert!(!String::from_utf8_lossy(&sent.body).contains("张三"));
    assert!(sent.header("Wechatpay-Serial").is_some());
    // Finishing notifies nothing (no event is declared for it): its effect is the state.
    assert!(mock
        .scenario("profit_sharing_order", "P20150806125346", "finish")
        .is_none());
    assert_eq!(
        mock.state_of("profit_sharing_order", "P20150806125346")
            .as_deref(),
        Some("FINISHED")
    );
    let queried = client
        .execute(&QueryProfitSharingOrder::new(
            QueryProfitSharingOrderRequired {
                out_order_no: "P20150806125346".into(),
                transaction_id: transaction_id.clone(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(queried.out_order_no, "P20150806125346");
    assert_eq!(queried.state, ProfitSharingOrderState::Finished);
    let ret = client
        .execute(
            &CreateProfitSharingReturnOrder::new(CreateProfitSharingReturnOrderRequired {
                out_return_no: "R20190516001".into(),
                return_mchid: "86693852".into(),
                amount: 10,
                description: "用户退款".into(),
            })
            .with_out_order_no("P20150806125346"),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(
        (ret.result, ret.amount),
        (ProfitSharingReturnResult::Success, 10)
    );
    let ret = client
        .execute(&QueryProfitSharingReturnOrder::new(
            QueryProfitSharingReturnOrderRequired {
                out_return_no: "R20190516001".into(),
                out_order_no: "P20150806125346".into(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(ret.out_return_no, "R20190516001");
    let unfrozen = client
        .execute(&UnfreezeProfitSharingOrder::new(
            UnfreezeProfitSharingOrderRequired {
                transaction_id: "4208450740201411110007820472".into(),
                out_order_no: "P20150806125346".into(),
                description: "解冻全部剩余资金".into(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(unfrozen.transaction_id, "4208450740201411110007820472");
    let amounts = client
        .execute(&QueryProfitSharingUnsplitAmount::new(
            "4208450740201411110007820472",
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(amounts.unsplit_amount, 1000);
    let added = client
        .execute(
            &AddProfitSharingReceiver::new(AddProfitSharingReceiverRequired {
                appid: "wx8888888888888888".into(),
                type_: ProfitSharingReceiverType::MerchantId,
                account: "86693852".into(),
                relation_type: ProfitSharingRelationType::Store,
            })
            .with_name("示例商户全称"),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(
        (added.account.as_str(), added.relation_type),
        ("86693852", ProfitSharingRelationType::Store)
    );
    let deleted = client
        .execute(&DeleteProfitSharingReceiver::new(
            DeleteProfitSharingReceiverRequired {
                appid: "wx8888888888888888".into(),
                type_: ProfitSharingReceiverType::MerchantId,
                account: "86693852".into(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(deleted.type_, ProfitSharingReceiverType::MerchantId);
    let log = mock.requests();
    let sent = |id: &str| {
        (log.iter())
            .find(|r| r.operation_id.as_deref() == Some(id) && r.status == 200)
            .unwrap()
    };
    assert_eq!(
        sent("queryProfitSharingOrder").target,
        format!("/v3/profitsharing/orders/P20150806125346?transaction_id={transaction_id}")
    );
    let body = &sent("addProfitSharingReceiver").body;
    assert!(!String::from_utf8_lossy(body).contains("示例商户全称"));
}
