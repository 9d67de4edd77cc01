//! The appointments table's flat columns and the lead page's Appointments tab.

use pc_http::identity::Role;
use pc_tests::leads_support::{
    at, chili_event, deliver, get_ok, seed_partner, signed_in_user, wait_for,
};
use pc_tests::{json, scenario};

scenario!(
    appointments_show_their_emails_and_the_lead_page_its_meetings,
    |app| {
        let pid = seed_partner(app, "Acme", &["Acme Demo"]).await;
        let (user, _) = signed_in_user(app, Some(&pid), Role::User).await;
        let t0 = "2030-03-01T15:00:00.000Z";
        let older = chili_event("m-old", "created", "Acme Demo", t0, "gina@guest.example");
        let mut newer = chili_event(
            "m-new",
            "created",
            "Acme Demo",
            &at(t0, 24 * 60),
            "gina@guest.example",
        );
        newer["host"] = json!({"name": "Hal Host", "email": "hal@vendor.example"});
        newer["assignee"] = json!({"name": "Ava Assignee", "email": "ava@vendor.example"});
        deliver(app, &older).await;
        deliver(app, &newer).await;

        // AppointmentsTable.vue:
        //   {{ apt.leadEmail }}   {{ apt.assigneeEmail || '-' }}   {{ apt.hostEmail || '-' }}
        //   <NuxtLink :to="`/leads/${apt.lead._id}`">
        // appointments/index.vue:
        //   MeetingsGateway.getMany({ page: pagination.value.page, perPage: pagination.value.perPage })
        let page = wait_for(app, &user, "/v1/meetings?page=0&perPage=50", |b| {
            b["list"].as_array().is_some_and(|l| l.len() == 2)
        })
        .await;
        app.drain().await;
        let apt = &page["list"][0];
        assert_eq!(apt["id"], "m-new", "newest first");
        assert_eq!(apt["leadEmail"], "gina@guest.example");
        assert_eq!(apt["assigneeEmail"], "ava@vendor.example");
        assert_eq!(apt["hostEmail"], "hal@vendor.example");
        assert_eq!(apt["lead"]["email"], "gina@guest.example");
        assert_eq!(apt["lead"]["company"], "Guestco");
        let lead_id = apt["lead"]["_id"].as_str().unwrap().to_owned();
        assert_eq!(apt["lead"]["id"], lead_id.as_str());
        assert_eq!(page["list"][1]["assigneeEmail"], "sam@vendor.example");
        assert_eq!(page["meta"]["total"], 2);
        let one = get_ok(app, &user, "/v1/meetings/m-new").await;
        assert_eq!(one["leadEmail"], "gina@guest.example");
        assert_eq!(one["hostEmail"], "hal@vendor.example");

        // LeadsService.getOnePopulated(): { ...lead.toObject(), meetings } sorted { scheduledTime: -1 }
        // LeadDetailsPage.vue: <AppointmentsSection :meetings="lead.meetings" />
        // AppointmentsSection.vue: v-for="meeting in meetings" :key="meeting._id",
        //   {{ meeting.assigneeEmail }}  {{ meeting.hostEmail }}  {{ meeting.location }}
        let lead = get_ok(app, &user, &format!("/v1/leads/{lead_id}")).await;
        let meetings = lead["meetings"].as_array().expect("lead.meetings");
        let ids: Vec<_> = meetings
            .iter()
            .map(|m| m["_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["m-new", "m-old"]);
        assert_eq!(meetings[0]["assigneeEmail"], "ava@vendor.example");
        assert_eq!(meetings[0]["location"], "https://meet.example/x");
        assert_eq!(meetings[1]["scheduledTime"], t0);
        // The list of leads does not carry them.
        let leads = get_ok(app, &user, "/v1/leads").await;
        assert!(leads["list"][0].get("meetings").is_none());
    }
);
