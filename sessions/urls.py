from django.urls import path

from infusion_clinic.reference_data import ReferenceDeleteView, ReferenceFormView

from . import views

app_name = "infusion_sessions"

urlpatterns = [
    # Scheduling (issue 6).
    path("", views.day_board, name="day_board"),
    path("week/", views.week_view, name="week_view"),
    path("book/", views.book, name="book"),
    path("book/referrals/", views.book_referrals, name="book_referrals"),
    path("<int:pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/did-not-attend/", views.did_not_attend, name="did_not_attend"),
    path("<int:pk>/move/", views.move, name="move"),
    path("courses/<int:pk>/reschedule/", views.reschedule_course, name="reschedule_course"),
    path("setup/", views.setup, name="setup"),
    path("setup/rota-week/", views.rota_week, name="rota_week"),
    path("setup/<slug:kind>/add/", ReferenceFormView.as_view(data=views.SETUP), name="setup_add"),
    path("setup/<slug:kind>/<int:pk>/", ReferenceFormView.as_view(data=views.SETUP), name="setup_edit"),
    path(
        "setup/<slug:kind>/<int:pk>/delete/",
        ReferenceDeleteView.as_view(data=views.SETUP),
        name="setup_delete",
    ),
]
