//! `/transactions/:id`: one transaction in full, and the user's own
//! category, note and hidden flag, which survive every sync. The form is a
//! plain post (works with JavaScript off) that goes back to the list the
//! user came from (`?back=`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

use crate::api::transactions::{EditTransaction, back_to_list, get_transaction, list_categories};
use crate::components::avatar::Avatar;
use crate::components::feedback::{ErrorPanel, PageLoading};
use crate::components::forms::{FormError, error_field, submission_error};
use crate::components::layout::RequireUser;
use crate::error::AppError;
use crate::format::{account_label, humanize, long_date, signed_money};
use crate::model::TransactionView;

/// One transaction, with its editor.
#[component]
pub fn TransactionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok())));
    let back = Memo::new(move |_| back_to_list(query.with(|q| q.get("back")).as_deref()));
    let transaction = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_transaction(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let categories = Resource::new(|| (), |()| list_categories());
    let save = ServerAction::<EditTransaction>::new();
    // Hydrated, a saved edit goes back to the list like the plain form does.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            navigate(&back.get_untracked(), NavigateOptions::default());
        }
    });
    view! {
        <Title text="Transaction" />
        <RequireUser>
            <div class="page-head">
                <a class="back-link" href=move || back.get()>"← Transactions"</a>
            </div>
            <Transition fallback=PageLoading>
                {move || Suspend::new(async move {
                    let categories = categories.await.unwrap_or_default();
                    match transaction.await {
                        Ok(t) => view! { <Details t=t.clone() /> <Editor t categories save back=back.get() /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </RequireUser>
    }
}

/// What the provider says about it.
#[component]
fn Details(t: TransactionView) -> impl IntoView {
    let title = t.merchant_name.clone().unwrap_or_else(|| t.name.clone());
    let amount = signed_money(t.amount, &t.currency);
    let account = account_label(&t.account_name, t.account_mask.as_deref());
    let amount_class = if t.amount < 0.0 { "txn-sheet-amount out" } else { "txn-sheet-amount in" };
    let provider_category = t.provider_category.as_deref().map_or_else(|| "None".to_owned(), humanize);
    view! {
        <section class="panel txn-sheet" aria-labelledby="txn-title">
            <div class="txn-sheet-head">
                <Avatar name=title.clone() image=t.logo_url.clone() class="avatar-large" />
                <div>
                    <h1 id="txn-title">{title}</h1>
                    <p class="txn-sheet-date">{long_date(&t.date)}</p>
                </div>
                <p class=amount_class>{amount}</p>
            </div>
            <dl class="detail-list">
                <div>
                    <dt>"Description"</dt>
                    <dd>{t.name.clone()}</dd>
                </div>
                <div>
                    <dt>"Account"</dt>
                    <dd>{account}</dd>
                </div>
                <div>
                    <dt>"Status"</dt>
                    <dd>{if t.pending { "Pending: the bank has not posted it yet" } else { "Posted" }}</dd>
                </div>
                <div>
                    <dt>"Bank's category"</dt>
                    <dd>{provider_category}</dd>
                </div>
                {t.payment_channel.clone().map(|c| view! {
                    <div>
                        <dt>"Paid"</dt>
                        <dd>{humanize(&c)}</dd>
                    </div>
                })}
            </dl>
        </section>
    }
}

/// The user's own fields.
#[component]
fn Editor(
    t: TransactionView,
    categories: Vec<String>,
    save: ServerAction<EditTransaction>,
    back: String,
) -> impl IntoView {
    let error = submission_error(save);
    let field = Signal::derive(move || error_field(&error.get()));
    let own_category = if t.category_edited { t.category.clone().unwrap_or_default() } else { String::new() };
    let placeholder = t.provider_category.as_deref().map_or_else(|| "Uncategorised".to_owned(), humanize);
    view! {
        <section class="panel" aria-labelledby="edit-title">
            <h2 id="edit-title">"Your details"</h2>
            <ActionForm action=save attr:class="form txn-edit" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="id" value=t.id.to_string() />
                <input type="hidden" name="back" value=back.clone() />
                <div class="field">
                    <label for="txn-category">"Category"</label>
                    <input id="txn-category" name="category" list="txn-categories" maxlength="60" value=own_category
                        placeholder=placeholder aria-describedby="txn-category-hint"
                        aria-invalid=move || (field.get().as_deref() == Some("category")).then_some("true") />
                    <datalist id="txn-categories">
                        {categories.into_iter().map(|c| view! { <option value=c.clone()>{humanize(&c)}</option> }).collect_view()}
                    </datalist>
                    <p class="field-hint" id="txn-category-hint">"Pick one or type your own. Empty uses the bank's category."</p>
                </div>
                <div class="field">
                    <label for="txn-note">"Note"</label>
                    <textarea id="txn-note" name="note" rows="3" maxlength="500"
                        aria-invalid=move || (field.get().as_deref() == Some("note")).then_some("true")>
                        {t.note.clone().unwrap_or_default()}
                    </textarea>
                </div>
                <label class="check">
                    <input type="checkbox" name="hidden" value="1" checked=t.hidden />
                    <span>"Hide from lists and totals"</span>
                </label>
                <div class="form-actions">
                    <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                    <a class="button" href=back>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
